package dev.portico.proxy.transport;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * Graceful shutdown of an HTTP/1.1 connection: an idle connection closes at once; one with a request in
 * progress answers it with {@code Connection: close} (RFC 9112 §9.6), so that the client opens its next
 * request elsewhere, and the connection closes once that response is written (also when its head had left
 * before the drain began).
 * Sits after the keep-alive handler; confined to the connection's event loop.
 */
final class Http1Drain extends ChannelDuplexHandler {
    private boolean draining;
    /** A request was read and its response is not fully written yet. */
    private boolean inExchange;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            inExchange = true;
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (draining && msg instanceof HttpResponse response) {
            HttpUtil.setKeepAlive(response, false);
        }
        if (!(msg instanceof LastHttpContent)) {
            ctx.write(msg, promise);
            return;
        }
        inExchange = false;
        if (draining) {
            // A response whose head left before the drain began said keep-alive: close after it anyway.
            ctx.write(msg, promise.unvoid()).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.write(msg, promise);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (!Drain.is(evt)) {
            ctx.fireUserEventTriggered(evt);
            return;
        }
        draining = true;
        if (!inExchange) {
            ctx.close();
        }
    }
}
