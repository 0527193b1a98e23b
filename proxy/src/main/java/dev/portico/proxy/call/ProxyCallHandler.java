package dev.portico.proxy.call;

import static java.util.Objects.requireNonNull;

import dev.portico.proxy.transport.AnsweredRequest;
import dev.portico.proxy.transport.CallExchange;
import dev.portico.proxy.transport.ChannelExchange;
import dev.portico.proxy.transport.ConnectionExceptions;
import dev.portico.proxy.transport.PlainResponses;
import dev.portico.proxy.transport.ThrottledLog;
import dev.portico.proxy.wire.ProtocolException;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adapts the HTTP objects of one HTTP/1.1 connection to {@link ProxyCall}s: the {@link RequestRouter} picks
 * the protocol or answers what no protocol can take; this passes body and channel events on. (HTTP/2
 * streams go through {@link Http2CallListener} instead.)
 *
 * <p>The channel runs with auto-read off: this handler reads the next request only when the current call
 * is over, and the call reads its body only as fast as the upstream takes it.
 */
public final class ProxyCallHandler extends ChannelInboundHandlerAdapter implements ProxyCall.EndListener {
    private static final Logger log = LoggerFactory.getLogger(ProxyCallHandler.class);
    /** What clients get wrong is logged at most once per kind and interval, with a count. */
    private static final ThrottledLog throttledLog = new ThrottledLog(log);

    private final RequestRouter router;
    /** The observer of the request being handled (see CallObserver). */
    private final Supplier<CallObserver> observers;
    private ChannelHandlerContext ctx;
    private CallExchange exchange;
    private ProxyCall call;
    /** The current request's body has been read to its end. */
    private boolean requestComplete;
    /** Drops what is left of a request answered before its end. */
    private final AnsweredRequest answered = new AnsweredRequest();

    public ProxyCallHandler(RequestRouter router, Supplier<CallObserver> observers) {
        this.router = requireNonNull(router, "router");
        this.observers = requireNonNull(observers, "observers");
    }

    /** The first read was asked for: the handler may be added before or after the channel is active. */
    private boolean firstReadRequested;

    @Override
    public void handlerAdded(ChannelHandlerContext context) {
        this.ctx = context;
        this.exchange = new ChannelExchange(context);
        if (context.channel().isActive()) {
            requestFirstRead();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext context) {
        requestFirstRead();
        context.fireChannelActive();
    }

    private void requestFirstRead() {
        if (!firstReadRequested) {
            firstReadRequested = true;
            ctx.read();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext context, Object msg) {
        if (!(msg instanceof HttpObject)) {
            context.fireChannelRead(msg);
            return;
        }
        if (msg instanceof LastHttpContent) {
            requestComplete = true;
        }
        if (answered.discard(context, msg)) {
            return;
        }
        if (msg instanceof HttpRequest request) {
            // A FullHttpRequest (an h2c upgrade request, aggregated) is a head and a last content at once.
            requestComplete = msg instanceof LastHttpContent;
            onRequestHead(request);
        }
        if (msg instanceof HttpContent content) {
            if (call != null) {
                call.onRequestContent(content.content(), content instanceof LastHttpContent);
            } else {
                content.release();
            }
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onRequestHead(HttpRequest request) {
        if (call != null) {
            // Auto-read is off and the next request is read only after the call ends; this cannot happen.
            throw new IllegalStateException("a request arrived while a call was in flight");
        }
        if (request.decoderResult().isFailure()) {
            rejectMalformedHttp(request);
            return;
        }
        call = router.route(exchange, request, observers.get(), this);
    }

    private void rejectMalformedHttp(HttpRequest request) {
        final Throwable cause = request.decoderResult().cause();
        final HttpResponseStatus status;
        if (cause instanceof TooLongHttpHeaderException) {
            status = HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
        } else if (cause instanceof TooLongHttpLineException) {
            status = HttpResponseStatus.REQUEST_URI_TOO_LONG;
        } else if (cause instanceof TooLongFrameException) {
            status = HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE;
        } else {
            status = HttpResponseStatus.BAD_REQUEST;
        }
        final String reason = "malformed HTTP request: " + cause.getMessage();
        throttledLog.warn("malformed-http", "rejected a request from {}: {}", ctx.channel().remoteAddress(),
                          reason);
        // The decoder cannot go on after a malformed request: answer and close the connection.
        final FullHttpResponse response = PlainResponses.of(ctx.alloc(), status, reason);
        HttpUtil.setKeepAlive(response, false);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void onCallEnded(boolean responseWritten) {
        call = null;
        if (responseWritten) {
            afterResponse();
        }
    }

    private void afterResponse() {
        if (requestComplete) {
            AnsweredRequest.readNextRequest(ctx);
        } else {
            // The rest of the body must not be parsed as the next request.
            answered.discardRest(ctx);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext context) {
        if (call != null) {
            call.onWritabilityChanged();
        }
        context.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) {
        if (call != null) {
            call.cancel();
        }
        context.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
        if (cause instanceof ProtocolException e && call != null) {
            // The transport found the client breaking its framing (WebSocket): the call ends with that status.
            call.fail(e);
            return;
        }
        ConnectionExceptions.report(context.channel(), cause);
        context.close().addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
    }
}
