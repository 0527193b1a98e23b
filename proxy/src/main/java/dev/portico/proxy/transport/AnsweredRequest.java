package dev.portico.proxy.transport;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;

/**
 * For a handler that answers some requests itself (CORS preflights, the demo page): drops the rest of an
 * answered request's body and then reads the next request. Auto-read is off, so a handler that consumes a
 * message must ask for the next one. One instance per handler; confined to the channel's event loop.
 */
public final class AnsweredRequest {
    /** Past this many discarded bytes the connection is closed instead: reading on would only waste it. */
    private static final long MAX_DISCARDED_BYTES = 1 << 20;
    /** How long an answered HTTP/2 stream may go on sending before it is asked to stop. */
    private static final long UNENDED_STREAM_RESET_MILLIS = 1000;

    private boolean discarding;
    private long discarded;

    /** Call after answering {@code request}: releases it and reads on. */
    public void answered(ChannelHandlerContext ctx, Object request) {
        final boolean complete = request instanceof LastHttpContent;
        ReferenceCountUtil.release(request);
        if (complete) {
            readNextRequest(ctx);
        } else {
            discardRest(ctx);
        }
    }

    /**
     * The request was answered before its body was all read: drop the rest (up to a bound, past which the
     * connection is closed or the HTTP/2 stream reset), then read the next request.
     */
    public void discardRest(ChannelHandlerContext ctx) {
        if (ctx.channel() instanceof Http2StreamChannel) {
            // RFC 9113 §8.1: "the server MAY request that the client abort transmission of a request without
            // error by sending a RST_STREAM with an error code of NO_ERROR after sending a complete response".
            // A half-open stream left waiting for a body would keep its connection from ever being idle; a
            // client about to end its request (a preflight's empty end) gets a moment to do so first.
            ctx.executor().schedule(() -> {
                if (discarding && ctx.channel().isActive()) {
                    ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR))
                       .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
                }
            }, UNENDED_STREAM_RESET_MILLIS, TimeUnit.MILLISECONDS);
        }
        discarding = true;
        discarded = 0;
        ctx.read();
    }

    /** Whether {@code msg} belonged to an answered request; if so it was released. */
    public boolean discard(ChannelHandlerContext ctx, Object msg) {
        if (!discarding || !(msg instanceof HttpContent)) {
            return false;
        }
        discarding = !(msg instanceof LastHttpContent);
        discarded += ((HttpContent) msg).content().readableBytes();
        ReferenceCountUtil.release(msg);
        if (!discarding) {
            readNextRequest(ctx);
        } else if (discarded > MAX_DISCARDED_BYTES) {
            ctx.close();
        } else {
            ctx.read();
        }
        return true;
    }

    /** On HTTP/1.1 keep-alive, reads the next request; an HTTP/2 stream carries only one. */
    public static void readNextRequest(ChannelHandlerContext ctx) {
        if (!(ctx.channel() instanceof Http2StreamChannel)) {
            ctx.read();
        }
    }
}
