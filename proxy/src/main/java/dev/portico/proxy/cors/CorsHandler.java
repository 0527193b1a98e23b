package dev.portico.proxy.cors;

import static java.util.Objects.requireNonNull;

import dev.portico.proxy.transport.AnsweredRequest;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;

/**
 * {@link CorsResponses} on an HTTP/1.1 connection: answers preflights, and grants CORS on the responses
 * that pass. Requests on a connection are sequential.
 */
public final class CorsHandler extends ChannelDuplexHandler {
    private final CorsResponses cors;
    /** The Origin of the request being answered, or null for same-origin and non-browser requests. */
    private String origin;
    private final AnsweredRequest answered = new AnsweredRequest();

    public CorsHandler(CorsResponses cors) {
        this.cors = requireNonNull(cors, "cors");
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (answered.discard(ctx, msg)) {
            return;
        }
        if (msg instanceof HttpRequest request) {
            origin = cors.origin(request);
            if (CorsResponses.isPreflight(request)) {
                ctx.writeAndFlush(cors.preflight(request, origin, ctx.channel().remoteAddress()))
                   .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
                answered.answered(ctx, msg);
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse response) {
            cors.grantTo(response, origin);
        }
        ctx.write(msg, promise);
    }
}
