package dev.portico.proxy.transport;

import static java.util.Objects.requireNonNull;

import dev.portico.config.FlowControlSettings;
import dev.portico.config.LimitSettings;
import dev.portico.proxy.metrics.Http2Metrics;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http2.CleartextHttp2ServerUpgradeHandler;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.AsciiString;
import org.slf4j.LoggerFactory;

/**
 * Builds each accepted connection's pipeline: TLS with ALPN ({@code h2}, {@code http/1.1}) when a
 * certificate is configured, else cleartext HTTP/1.1 that also accepts HTTP/2 with prior knowledge and
 * {@code Upgrade: h2c}. Whatever the HTTP version, requests reach the same {@link RequestPipeline}.
 *
 * <p>Auto-read: an HTTP/1.1 connection reads only when its request handlers ask (backpressure), one
 * decoded object per read thanks to {@link OneMessagePerRead}. An HTTP/2 connection always reads,
 * so that control frames flow; each stream's body is handed to its call only when asked
 * ({@link Http2Exchange}), and HTTP/2 flow control holds back the client until it is.
 */
public final class FrontendInitializer extends ChannelInitializer<SocketChannel> {
    private static final ThrottledLog TLS_FAILURES =
            new ThrottledLog(LoggerFactory.getLogger(FrontendInitializer.class));

    private final SslContext sslContext;
    private final LimitSettings limits;
    private final FlowControlSettings flowControl;
    private final RequestPipeline requestPipeline;
    private final ResetFloodGuard resetFloods;
    private final Http2Metrics http2Metrics;
    private final TimeoutPolicy timeouts;
    /** Told each connection's HTTP version (metrics). */
    private final ConnectionEvents connectionEvents;
    /** Shutdown began: connections that finish their TLS handshake from now on are drained at once. */
    private volatile boolean draining;

    /** {@code sslContext} is null for cleartext. */
    public FrontendInitializer(SslContext sslContext, LimitSettings limits, FlowControlSettings flowControl,
                               RequestPipeline requestPipeline, ResetFloodGuard resetFloods,
                               Http2Metrics http2Metrics, TimeoutPolicy timeouts,
                               ConnectionEvents connectionEvents) {
        this.sslContext = sslContext;
        this.limits = requireNonNull(limits, "limits");
        this.flowControl = requireNonNull(flowControl, "flowControl");
        this.requestPipeline = requireNonNull(requestPipeline, "requestPipeline");
        this.resetFloods = requireNonNull(resetFloods, "resetFloods");
        this.http2Metrics = requireNonNull(http2Metrics, "http2Metrics");
        this.timeouts = requireNonNull(timeouts, "timeouts");
        this.connectionEvents = requireNonNull(connectionEvents, "connectionEvents");
    }

    /** Starts draining {@code connections}, and any connection still in its TLS handshake once it is done. */
    public void drain(Iterable<? extends Channel> connections) {
        draining = true;
        connections.forEach(Drain::start);
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        if (resetFloods.refuses(ch.remoteAddress())) {
            // The client IP is penalised for a reset flood: closed before it costs anything more.
            ch.close();
            return;
        }
        ch.config().setWriteBufferWaterMark(waterMark());
        if (sslContext != null) {
            // Flushes are merged above TLS, so that one record carries what several calls wrote.
            ch.pipeline().addLast(sslContext.newHandler(ch.alloc()), newFlushConsolidation(), new AlpnHandler());
            return;
        }
        ch.pipeline().addLast(newFlushConsolidation());
        // Reads are driven by the request handlers until the connection turns out to be HTTP/2.
        ch.config().setAutoRead(false);
        final HttpServerCodec http1 = newHttp1Codec();
        final HttpServerUpgradeHandler upgrade = new HttpServerUpgradeHandler(http1, protocol ->
                AsciiString.contentEquals(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME, protocol)
                ? http2UpgradeCodec()
                : null, limits.maxRequestBodyBytes());
        ch.pipeline().addLast(new CleartextHttp2ServerUpgradeHandler(http1, upgrade, new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel channel) {
                addHttp2Handlers(channel.pipeline());
            }
        }));
        addHttp1RequestHandlers(ch.pipeline());
    }

    /**
     * One socket write per event-loop turn rather than one per flush: the calls of an HTTP/2 connection
     * each flush their end, and grpc-java delivers the ends of many calls in one turn. Without this, every
     * call costs a writev (and on loopback the receiver's work with it).
     */
    private static FlushConsolidationHandler newFlushConsolidation() {
        return new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true);
    }

    private WriteBufferWaterMark waterMark() {
        return new WriteBufferWaterMark(flowControl.writeBufferLowWaterMark(),
                                        flowControl.writeBufferHighWaterMark());
    }

    private HttpServerCodec newHttp1Codec() {
        return new HttpServerCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(limits.maxInitialLineBytes())
                .setMaxHeaderSize(limits.maxHeaderListBytes()));
    }

    private void addHttp1RequestHandlers(ChannelPipeline pipeline) {
        pipeline.addLast(HandlerNames.HTTP1_MARK, new ConnectionVersion.Http1Mark(connectionEvents));
        pipeline.addLast(HandlerNames.FLOW_CONTROL, new OneMessagePerRead());
        pipeline.addLast(HandlerNames.REQUEST_TIMEOUTS, new RequestTimeouts(timeouts));
        pipeline.addLast(HandlerNames.EXPECT_CONTINUE, new HttpServerExpectContinueHandler());
        pipeline.addLast(HandlerNames.KEEP_ALIVE, new HttpServerKeepAliveHandler());
        pipeline.addLast(HandlerNames.HTTP1_DRAIN, new Http1Drain());
        requestPipeline.addTo(pipeline);
    }

    private Http2ServerHandler newHttp2Handler() {
        return new ServerHttp2HandlerBuilder(Http2Settings.defaultSettings()
                        .maxConcurrentStreams(limits.maxConcurrentStreams())
                        .maxHeaderListSize(limits.maxHeaderListBytes())
                        .initialWindowSize(flowControl.http2InitialWindowBytes()),
                flowControl.http2ConnectionWindowBytes(), resetFloods, http2Metrics, requestPipeline, timeouts)
                .build();
    }

    private void addHttp2Handlers(ChannelPipeline pipeline) {
        final Http2ServerHandler http2 = newHttp2Handler();
        pipeline.addLast(http2, new Http2ConnectionTimeouts(http2, timeouts), new Http2Activation(connectionEvents),
                         ConnectionExceptions.INSTANCE);
    }

    private Http2ServerUpgradeCodec http2UpgradeCodec() {
        final Http2ServerHandler http2 = newHttp2Handler();
        return new Http2ServerUpgradeCodec("http2", http2, new Http2ConnectionTimeouts(http2, timeouts),
                                           new Http2Activation(connectionEvents), ConnectionExceptions.INSTANCE);
    }

    /**
     * Added with the HTTP/2 handler: the connection now reads continuously, the HTTP/1.1 request handlers
     * added when it was accepted go, and it is marked HTTP/2.
     */
    private static final class Http2Activation extends io.netty.channel.ChannelHandlerAdapter {
        private final ConnectionEvents connectionEvents;

        Http2Activation(ConnectionEvents connectionEvents) {
            this.connectionEvents = connectionEvents;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ConnectionVersion.H2.mark(ctx.channel(), connectionEvents);
            final ChannelPipeline pipeline = ctx.pipeline();
            for (String name : HandlerNames.HTTP1_ONLY) {
                if (pipeline.get(name) != null) {
                    pipeline.remove(name);
                }
            }
            pipeline.remove(this);
            ctx.channel().config().setAutoRead(true);
        }
    }

    /** Chooses the pipeline from the protocol ALPN agreed on; HTTP/1.1 when the client offered none. */
    private final class AlpnHandler extends ApplicationProtocolNegotiationHandler {
        AlpnHandler() {
            super(ApplicationProtocolNames.HTTP_1_1);
        }

        /** Netty's own logs every failure with a stack trace; most are the client's doing. */
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
            if (ConnectionExceptions.causedByClient(cause)) {
                ConnectionExceptions.report(ctx.channel(), cause);
                ctx.close();
            } else {
                super.exceptionCaught(ctx, cause);
            }
        }

        /** A client that fails the TLS handshake (scanners, wrong trust) is worth one throttled line. */
        @Override
        protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
            TLS_FAILURES.warn("tls-handshake-failure", "TLS handshake with {} failed: {}",
                              ctx.channel().remoteAddress(), cause);
            ctx.close();
        }

        @Override
        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
            if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                addHttp2Handlers(ctx.pipeline());
                return;
            }
            if (!ApplicationProtocolNames.HTTP_1_1.equals(protocol)) {
                throw new IllegalStateException("ALPN agreed on an unexpected protocol: " + protocol);
            }
            ctx.channel().config().setAutoRead(false);
            ctx.pipeline().addLast(newHttp1Codec());
            addHttp1RequestHandlers(ctx.pipeline());
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) throws Exception {
            super.handlerRemoved(ctx); // Passes on what arrived with the handshake.
            // A connection whose handshake outlived the start of a drain is drained as soon as it can be.
            if (draining && ctx.channel().isActive()) {
                Drain.start(ctx.channel());
            }
        }
    }
}
