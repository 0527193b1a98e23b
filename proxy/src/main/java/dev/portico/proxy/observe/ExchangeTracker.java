package dev.portico.proxy.observe;

import static java.util.Objects.requireNonNull;

import dev.portico.proxy.call.CallObserver;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import java.net.SocketAddress;
import java.util.function.Supplier;

/**
 * Makes one {@link Exchange} of each request of a connection (HTTP/1.1) or stream (HTTP/2) and its response,
 * whoever answers it (a call, CORS, a refusal), whatever carries it: {@link ExchangeHandler} tells it what an
 * HTTP/1.1 pipeline reads and writes, {@link ObservedStream} what an HTTP/2 stream does. An exchange ends
 * when the response's last part is written and the request was read to its end, when the next request
 * begins, or when the connection or stream closes. A 101 (Switching Protocols) ends an exchange without a
 * line: the call made over the switched protocol (a WebSocket call, an h2c stream) is logged in its place.
 * The call reaches the current exchange through {@link #get()}.
 *
 * <p>One instance per connection or stream, confined to its event loop; requests on it are sequential.
 */
final class ExchangeTracker implements Supplier<CallObserver> {
    private final AccessLog accessLog;
    /** Null when tracing is off. */
    private final Tracing tracing;
    private Exchange current;

    ExchangeTracker(AccessLog accessLog, Tracing tracing) {
        this.accessLog = requireNonNull(accessLog, "accessLog");
        this.tracing = tracing;
    }

    /** The exchange of the request being handled, or an observer of nothing between requests. */
    @Override
    public CallObserver get() {
        return current == null ? CallObserver.NONE : current;
    }

    /** A request head arrived from {@code peer}; {@code httpVersion} as the access log names it. */
    void requestHead(SocketAddress peer, HttpRequest request, String httpVersion) {
        end(current);
        current = new Exchange(accessLog, tracing, peer, request, httpVersion);
    }

    /** Request body bytes were read ({@code last} for the body's end), handled or dropped. */
    void requestBody(int bytes, boolean last) {
        final Exchange exchange = current;
        if (exchange == null) {
            return;
        }
        exchange.requestBytes(bytes);
        if (last && exchange.requestComplete()) {
            end(exchange);
        }
    }

    /**
     * {@code msg}, a part of the response, is about to be written (it is read here, before it is handed on);
     * returns whether it is the response's last part, whose write must then be given to {@link #responseEnd}.
     */
    boolean responsePart(HttpObject msg) {
        final Exchange exchange = current;
        if (exchange == null) {
            return false;
        }
        if (msg instanceof HttpResponse response) {
            if (response.status().equals(HttpResponseStatus.SWITCHING_PROTOCOLS)) {
                exchange.discard();
                current = null;
                return false;
            }
            exchange.responseStatus(response.status().code());
        }
        if (msg instanceof HttpContent content) {
            exchange.responseBytes(content.content().readableBytes());
        }
        return msg instanceof LastHttpContent;
    }

    /** The write of the response's last part: the exchange may end once it is done. */
    void responseEnd(ChannelFuture written) {
        final Exchange exchange = current;
        if (exchange == null) {
            return;
        }
        written.addListener(future -> {
            if (exchange.responded()) {
                end(exchange);
            }
        });
    }

    /** The connection or stream closed: the exchange under way, if any, ends. */
    void closed() {
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
