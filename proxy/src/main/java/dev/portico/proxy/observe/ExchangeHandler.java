package dev.portico.proxy.observe;

import dev.portico.proxy.call.CallObserver;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.function.Supplier;

/**
 * The first request handler of an HTTP/1.1 connection: it tells its {@link ExchangeTracker} every request
 * and every response, whichever handler answers it (a call, CORS, a refusal). The rest of a request answered
 * early is read and dropped after this handler, within the request timeouts, and still counted here. A
 * WebSocket bridge sits before this handler and hands it the call's request and response objects (its 101
 * leaves no line, see {@link ExchangeTracker}). The call handler reaches the current exchange through
 * {@link #get()}.
 *
 * <p>One instance per connection; requests on a connection are sequential.
 */
public final class ExchangeHandler extends ChannelDuplexHandler implements Supplier<CallObserver> {
    private final ExchangeTracker exchanges;

    public ExchangeHandler(AccessLog accessLog, Tracing tracing) {
        this.exchanges = new ExchangeTracker(accessLog, tracing);
    }

    @Override
    public CallObserver get() {
        return exchanges.get();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request) {
            exchanges.requestHead(ctx.channel().remoteAddress(), request, request.protocolVersion().text());
        }
        if (msg instanceof HttpContent content) {
            exchanges.requestBody(content.content().readableBytes(), msg instanceof LastHttpContent);
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpObject part && exchanges.responsePart(part)) {
            final ChannelPromise written = promise.unvoid();
            exchanges.responseEnd(written);
            ctx.write(msg, written);
            return;
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // The handlers after this one (the call) learn first, so that a cancelled call has its code.
        ctx.fireChannelInactive();
        exchanges.closed();
    }
}
