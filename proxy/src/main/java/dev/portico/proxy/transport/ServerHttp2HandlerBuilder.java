package dev.portico.proxy.transport;

import dev.portico.proxy.metrics.Http2Metrics;
import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2Settings;

/**
 * Builds the HTTP/2 handler of one client connection: Netty's, with the state and reset accounting that keep
 * the connection's streams independent ({@link ServerHttp2Connection}, {@link ResetAccountingDecoder},
 * {@link ResetAccountingEncoder}) in place of Netty's two reset counters, and the connection's
 * {@link Http2Streams} as its frame listener. One builder per connection.
 */
final class ServerHttp2HandlerBuilder
        extends AbstractHttp2ConnectionHandlerBuilder<Http2ServerHandler, ServerHttp2HandlerBuilder> {
    private final ServerHttp2Connection connection = new ServerHttp2Connection();
    private final ResetBudget budget;
    private final ResetFloodGuard floods;
    private final Http2Metrics metrics;
    private final int connectionWindowBytes;
    private final RequestPipeline requests;
    private final TimeoutPolicy timeouts;

    ServerHttp2HandlerBuilder(Http2Settings settings, int connectionWindowBytes, ResetFloodGuard floods,
                              Http2Metrics metrics, RequestPipeline requests, TimeoutPolicy timeouts) {
        this.budget = floods.newBudget(settings.maxConcurrentStreams().intValue());
        this.floods = floods;
        this.metrics = metrics;
        this.connectionWindowBytes = connectionWindowBytes;
        this.requests = requests;
        this.timeouts = timeouts;
        connection(connection); // A server's connection; so the builder is a server's too.
        initialSettings(settings);
        // No graceful-shutdown timeout at this layer: Http2Drain does the graceful part.
        gracefulShutdownTimeoutMillis(0);
        // Both counted by ResetBudget instead, where Portico's own refusals do not end the connection.
        decoderEnforceMaxRstFramesPerWindow(0, 0);
        encoderEnforceMaxRstFramesPerWindow(0, 0);
    }

    @Override
    public Http2ServerHandler build() {
        return super.build();
    }

    @Override
    protected Http2ServerHandler build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
                                       Http2Settings initialSettings) {
        final ResetAccountingEncoder accountingEncoder =
                new ResetAccountingEncoder(encoder, connection, budget, floods, metrics);
        final Http2ServerHandler handler = new Http2ServerHandler(
                new ResetAccountingDecoder(decoder, budget, accountingEncoder, metrics), accountingEncoder,
                initialSettings, connectionWindowBytes);
        final int maxStreams = initialSettings.maxConcurrentStreams().intValue();
        handler.serve(new Http2Streams(handler, new StreamLimit(connection, maxStreams), requests, timeouts));
        return handler;
    }
}
