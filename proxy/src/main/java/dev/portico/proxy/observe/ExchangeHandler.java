package dev.portico.proxy.observe;

import static java.util.Objects.requireNonNull;

import dev.portico.proxy.call.CallObserver;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.function.Supplier;

/**
 * The first request handler of a connection (HTTP/1.1) or stream (HTTP/2): it sees every request and every
 * response, whichever handler answers it (a call, CORS, a refusal), and makes one {@link Exchange} of each.
 * A 101 (Switching Protocols) ends an exchange without a line: the call over the switched protocol has its
 * own (a WebSocket bridge sits before this handler and hands it the call's request and response objects).
 * The exchange ends when the response's last part is written and the request was read to its end (its
 * rest is read and dropped when it was answered early, within the request timeouts), when the next request
 * begins, or when the channel closes. The call handler reaches the current exchange through {@link #get()}.
 *
 * <p>One instance per channel; requests on a channel are sequential.
 */
public final class ExchangeHandler extends ChannelDuplexHandler implements Supplier<CallObserver> {
    private final AccessLog accessLog;
    /** Null when tracing is off. */
    private final Tracing tracing;
    private Exchange current;

    public ExchangeHandler(AccessLog accessLog, Tracing tracing) {
        this.accessLog = requireNonNull(accessLog, "accessLog");
        this.tracing = tracing;
    }

    /** The exchange of the request being handled, or an observer of nothing between requests. */
    @Override
    public CallObserver get() {
        return current == null ? CallObserver.NONE : current;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request) {
            end(current);
            current = new Exchange(accessLog, tracing, ctx.channel(), request);
        }
        final Exchange exchange = current;
        if (msg instanceof HttpContent content && exchange != null) {
            exchange.requestBytes(content.content().readableBytes());
            if (msg instanceof LastHttpContent && exchange.requestComplete()) {
                end(exchange);
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        final Exchange exchange = current;
        if (exchange == null) {
            ctx.write(msg, promise);
            return;
        }
        if (msg instanceof HttpResponse response) {
            if (response.status().equals(HttpResponseStatus.SWITCHING_PROTOCOLS)) {
                exchange.discard();
                current = null;
                ctx.write(msg, promise);
                return;
            }
            exchange.responseStatus(response.status().code());
        }
        if (msg instanceof HttpContent content) {
            exchange.responseBytes(content.content().readableBytes());
        }
        if (msg instanceof LastHttpContent) {
            final ChannelPromise written = promise.unvoid();
            written.addListener(future -> {
                if (exchange.responded()) {
                    end(exchange);
                }
            });
            ctx.write(msg, written);
            return;
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        // The handlers after this one (the call) learn first, so that a cancelled call has its code.
        ctx.fireChannelInactive();
        end(current);
    }

    private void end(Exchange exchange) {
        if (exchange == null) {
            return;
        }
        exchange.end();
        if (current == exchange) {
            current = null;
        }
    }
}
