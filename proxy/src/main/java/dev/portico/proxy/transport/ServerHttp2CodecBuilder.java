package dev.portico.proxy.transport;

import dev.portico.proxy.metrics.Http2Metrics;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Settings;

/**
 * Builds the HTTP/2 codec of one client connection: Netty's, with the state and reset accounting that keep
 * the connection's streams independent ({@link ServerHttp2Connection}, {@link ResetAccountingDecoder},
 * {@link ResetAccountingEncoder}) in place of Netty's two reset counters. One builder per connection.
 */
final class ServerHttp2CodecBuilder extends Http2FrameCodecBuilder {
    private final ServerHttp2Connection connection = new ServerHttp2Connection();
    private final ResetBudget budget;
    private final ResetFloodGuard floods;
    private final Http2Metrics metrics;

    ServerHttp2CodecBuilder(Http2Settings settings, ResetFloodGuard floods, Http2Metrics metrics) {
        this.budget = floods.newBudget(settings.maxConcurrentStreams().intValue());
        this.floods = floods;
        this.metrics = metrics;
        connection(connection); // A server's connection; so the builder is a server's too.
        initialSettings(settings);
        // As forServer() does: no graceful-shutdown timeout at this layer.
        gracefulShutdownTimeoutMillis(0);
        // Both counted by ResetBudget instead, where Portico's own refusals do not end the connection.
        decoderEnforceMaxRstFramesPerWindow(0, 0);
        encoderEnforceMaxRstFramesPerWindow(0, 0);
    }

    @Override
    protected Http2FrameCodec build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
                                    Http2Settings initialSettings) {
        final ResetAccountingEncoder accountingEncoder =
                new ResetAccountingEncoder(encoder, connection, budget, floods, metrics);
        return super.build(new ResetAccountingDecoder(decoder, budget, accountingEncoder, metrics),
                           accountingEncoder, initialSettings);
    }
}
