package dev.portico.proxy.call;

import static java.util.Objects.requireNonNull;

import dev.portico.proxy.cors.CorsResponses;
import dev.portico.proxy.demo.DemoRedirectHandler;
import dev.portico.proxy.transport.CallExchange;
import dev.portico.proxy.transport.ExchangeListener;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Supplier;

/**
 * Serves the request of one HTTP/2 stream, as the request handlers of an HTTP/1.1 connection do: a CORS
 * preflight or the demo mode's redirect is answered here, anything else goes to the {@link RequestRouter},
 * and the stream's body and events to the call. Confined to the connection's event loop.
 */
public final class Http2CallListener implements ExchangeListener, ProxyCall.EndListener {
    private final CallExchange stream;
    private final RequestRouter router;
    private final CorsResponses cors;
    /** The demo app's port in demo mode, whose redirect GET / gets; else empty. */
    private final OptionalInt demoAppPort;
    /** The observer of the stream's call (see CallObserver). */
    private final Supplier<CallObserver> observers;
    /** The Origin of the request, or null for same-origin and non-browser requests. */
    private String origin;
    private ProxyCall call;

    public Http2CallListener(CallExchange stream, RequestRouter router, CorsResponses cors,
                             OptionalInt demoAppPort, Supplier<CallObserver> observers) {
        this.stream = requireNonNull(stream, "stream");
        this.router = requireNonNull(router, "router");
        this.cors = requireNonNull(cors, "cors");
        this.demoAppPort = requireNonNull(demoAppPort, "demoAppPort");
        this.observers = requireNonNull(observers, "observers");
    }

    @Override
    public void onRequestHead(HttpRequest head) {
        final String requestOrigin = cors.origin(head);
        if (CorsResponses.isPreflight(head)) {
            // Its answer carries its own grant: nothing is added to it on the way out.
            answer(cors.preflight(head, requestOrigin, stream.connection().remoteAddress()));
            return;
        }
        origin = requestOrigin;
        final Optional<FullHttpResponse> redirect = demoAppPort.isPresent()
                ? DemoRedirectHandler.redirect(head, demoAppPort.getAsInt(), stream.alloc()) : Optional.empty();
        if (redirect.isPresent()) {
            answer(redirect.get());
            return;
        }
        call = router.route(stream, head, observers.get(), this);
    }

    private void answer(FullHttpResponse response) {
        stream.writeEnd(response).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                stream.close();
            }
        });
    }

    @Override
    public void onRequestContent(ByteBuf content, boolean last) {
        if (call != null) {
            call.onRequestContent(content, last);
        } else {
            content.release(); // Answered without a call: the stream drops the rest itself.
        }
    }

    @Override
    public void onWritabilityChanged() {
        if (call != null) {
            call.onWritabilityChanged();
        }
    }

    @Override
    public void onReset() {
        if (call != null) {
            // Cancelled now, so that a call whose start is still queued (rapid reset) never starts upstream.
            call.cancel();
        }
    }

    @Override
    public void beforeResponseHead(HttpResponse head) {
        cors.grantTo(head, origin);
    }

    @Override
    public void onCallEnded(boolean responseWritten) {
        call = null;
    }
}
