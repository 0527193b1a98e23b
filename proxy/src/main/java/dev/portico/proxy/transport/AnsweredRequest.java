package dev.portico.proxy.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * For a handler that answers some requests itself (CORS preflights, the demo page): drops the rest of an
 * answered request's body and then reads the next request. Auto-read is off, so a handler that consumes a
 * message must ask for the next one. HTTP/1.1 only ({@link Http2Exchange} does the same for a stream). One
 * instance per handler; confined to the channel's event loop.
 */
public final class AnsweredRequest {
    /** Past this many discarded bytes the connection is closed instead: reading on would only waste it. */
    private static final long MAX_DISCARDED_BYTES = 1 << 20;

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
     * connection is closed), then read the next request.
     */
    public void discardRest(ChannelHandlerContext ctx) {
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

    /** Reads the next request of a keep-alive connection. */
    public static void readNextRequest(ChannelHandlerContext ctx) {
        ctx.read();
    }
}
