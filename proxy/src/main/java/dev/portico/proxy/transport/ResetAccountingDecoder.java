package dev.portico.proxy.transport;

import dev.portico.proxy.metrics.Http2Metrics;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.DecoratingHttp2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameListener;
import io.netty.handler.codec.http2.Http2FrameListenerDecorator;
import io.netty.handler.codec.http2.Http2Stream;

/**
 * Counts the client's RST_STREAM frames against the connection's {@link ResetBudget} (rapid reset,
 * CVE-2023-44487) in place of Netty's own counter, so that one budget covers them and the resets the client
 * provokes. Only a reset of a stream Portico was still answering counts: that is the one that cost work.
 * A client that resets the rest of its request after Portico's complete answer (an early error, RFC 9113
 * section 8.1) costs nothing. Over the budget, the connection ends ({@link ResetAccountingEncoder#endFlooded}).
 * Confined to the connection's event loop.
 */
final class ResetAccountingDecoder extends DecoratingHttp2ConnectionDecoder {
    private final ResetBudget budget;
    private final ResetAccountingEncoder encoder;
    private final Http2Metrics metrics;

    ResetAccountingDecoder(Http2ConnectionDecoder delegate, ResetBudget budget, ResetAccountingEncoder encoder,
                           Http2Metrics metrics) {
        super(delegate);
        this.budget = budget;
        this.encoder = encoder;
        this.metrics = metrics;
    }

    @Override
    public void frameListener(Http2FrameListener listener) {
        super.frameListener(new Http2FrameListenerDecorator(listener) {
            @Override
            public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode)
                    throws Http2Exception {
                metrics.resetReceived();
                final Http2Stream stream = connection().stream(streamId);
                final boolean counted = stream != null && stream.state().localSideOpen();
                // The reset still reaches its stream, so that its call is cancelled before it starts.
                super.onRstStreamRead(ctx, streamId, errorCode);
                if (counted && budget.exceededBy(ResetBudget.Kind.RESET)) {
                    encoder.endFlooded(ctx);
                }
            }
        });
    }
}
