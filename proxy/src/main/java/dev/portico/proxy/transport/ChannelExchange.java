package dev.portico.proxy.transport;

import static java.util.Objects.requireNonNull;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpObject;

/**
 * The exchange of an HTTP/1.1 connection: its handler's context, writing through the pipeline's HTTP codec
 * and the handlers before it (CORS, timeouts). One request at a time.
 */
public final class ChannelExchange implements CallExchange {
    private final ChannelHandlerContext ctx;

    public ChannelExchange(ChannelHandlerContext ctx) {
        this.ctx = requireNonNull(ctx, "ctx");
    }

    @Override
    public Channel connection() {
        return ctx.channel();
    }

    @Override
    public boolean isHttp2() {
        return false;
    }

    @Override
    public void write(HttpObject msg) {
        ctx.write(msg).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    @Override
    public ChannelFuture writeEnd(HttpObject msg) {
        return ctx.writeAndFlush(msg);
    }

    @Override
    public void flush() {
        ctx.flush();
    }

    @Override
    public void read() {
        ctx.read();
    }

    @Override
    public boolean isWritable() {
        return ctx.channel().isWritable();
    }

    @Override
    public void close() {
        ctx.close();
    }
}
