package dev.portico.proxy.transport;

import dev.portico.proxy.metrics.Http2Metrics;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.DecoratingHttp2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2LifecycleManager;

/**
 * Every RST_STREAM Portico sends on a connection passes here: it is counted (metrics, and the connection's
 * {@link ResetBudget} when the client caused it), a stream reset before Netty created it is remembered
 * ({@link ServerHttp2Connection}), and none is sent for a frame on a stream that is already closed.
 *
 * <p>This replaces Netty's limit on the resets a server sends (CVE-2025-8671, "MadeYouReset"), which counts
 * Portico's own refusals too and so ended the connection, with all its calls, after 200 refused streams.
 * Confined to the connection's event loop.
 */
final class ResetAccountingEncoder extends DecoratingHttp2ConnectionEncoder {
    private final ServerHttp2Connection connection;
    private final ResetBudget budget;
    private final ResetFloodGuard floods;
    private final Http2Metrics metrics;
    private Http2LifecycleManager lifecycleManager;

    ResetAccountingEncoder(Http2ConnectionEncoder delegate, ServerHttp2Connection connection,
                           ResetBudget budget, ResetFloodGuard floods, Http2Metrics metrics) {
        super(delegate);
        this.connection = connection;
        this.budget = budget;
        this.floods = floods;
        this.metrics = metrics;
    }

    @Override
    public void lifecycleManager(Http2LifecycleManager manager) {
        this.lifecycleManager = manager;
        super.lifecycleManager(manager);
    }

    @Override
    public ChannelFuture writeRstStream(ChannelHandlerContext ctx, int streamId, long errorCode,
                                        ChannelPromise promise) {
        if (connection.stream(streamId) == null && connection.remote().isValidStreamId(streamId)) {
            if (!connection.streamMayHaveExisted(streamId)) {
                connection.resetUncreated(streamId);
            } else if (errorCode == Http2Error.STREAM_CLOSED.code()) {
                // RFC 9113 section 5.1: "An endpoint MUST ignore frames that it receives on closed streams
                // after it has sent a RST_STREAM frame." Netty has already credited a DATA frame's bytes back
                // to the connection window; one RST_STREAM per frame would only add to the client's load.
                promise.trySuccess();
                return promise;
            }
        }
        final ChannelFuture future = super.writeRstStream(ctx, streamId, errorCode, promise);
        final Http2Error error = Http2Error.valueOf(errorCode);
        if (error == null || error == Http2Error.NO_ERROR || error == Http2Error.CANCEL) {
            // Portico ending a stream it no longer needs (the client's side of a finished call), not a refusal.
            return future;
        }
        metrics.streamRefused(error);
        final ResetBudget.Kind kind = error == Http2Error.REFUSED_STREAM ? ResetBudget.Kind.REFUSAL
                                                                         : ResetBudget.Kind.RESET;
        if (budget.exceededBy(kind)) {
            endFlooded(ctx);
        }
        return future;
    }

    /**
     * The connection went over its reset budget: GOAWAY ENHANCE_YOUR_CALM (RFC 9113 section 7), close, and
     * penalise its client IP. As an outbound error, so that it is not reported again as an exception.
     */
    void endFlooded(ChannelHandlerContext ctx) {
        floods.floodedBy(ctx.channel().remoteAddress());
        lifecycleManager.onError(ctx, true, ResetFloodGuard.tooManyResets());
        ctx.close();
    }
}
