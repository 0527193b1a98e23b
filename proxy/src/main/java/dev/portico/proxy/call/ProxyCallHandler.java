package dev.portico.proxy.call;

import static java.util.Objects.requireNonNull;

import dev.portico.proxy.protocol.CallOutcome;
import dev.portico.proxy.protocol.ClientProtocol;
import dev.portico.proxy.protocol.DeferredResponse;
import dev.portico.proxy.protocol.GrpcProtocol;
import dev.portico.proxy.protocol.ProtocolDetector;
import dev.portico.proxy.protocol.RequestMeta;
import dev.portico.proxy.transport.AnsweredRequest;
import dev.portico.proxy.transport.ConnectionExceptions;
import dev.portico.proxy.transport.PlainResponses;
import dev.portico.proxy.transport.ThrottledLog;
import dev.portico.proxy.transport.WebSocketCallRequest;
import dev.portico.proxy.wire.MediaType;
import dev.portico.proxy.wire.ProtocolException;
import dev.portico.proxy.wire.RpcCode;
import dev.portico.upstream.PickResult;
import io.grpc.Metadata;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adapts the HTTP objects of one connection (HTTP/1.1) or one stream (HTTP/2) to {@link ProxyCall}s: it
 * picks the protocol, answers what no protocol can take, and passes body and channel events on.
 *
 * <p>The channel runs with auto-read off: this handler reads the next request only when the current call
 * is over, and the call reads its body only as fast as the upstream takes it.
 */
public final class ProxyCallHandler extends ChannelInboundHandlerAdapter implements ProxyCall.EndListener {
    private static final Logger log = LoggerFactory.getLogger(ProxyCallHandler.class);
    /** What clients get wrong is logged at most once per kind and interval, with a count. */
    private static final ThrottledLog throttledLog = new ThrottledLog(log);

    /** The method name a request whose head could not be parsed is counted under. */
    private static final String UNPARSED_METHOD = "(unparsed)";

    private final ProxyRuntime runtime;
    /** The observer of the request being handled (see CallObserver). */
    private final Supplier<CallObserver> observers;
    private ChannelHandlerContext ctx;
    private ProxyCall call;
    /** The current request's body has been read to its end. */
    private boolean requestComplete;
    /** Drops what is left of a request answered before its end. */
    private final AnsweredRequest answered = new AnsweredRequest();

    public ProxyCallHandler(ProxyRuntime runtime, Supplier<CallObserver> observers) {
        this.runtime = requireNonNull(runtime, "runtime");
        this.observers = requireNonNull(observers, "observers");
    }

    /** The first read was asked for: the handler may be added before or after the channel is active. */
    private boolean firstReadRequested;

    @Override
    public void handlerAdded(ChannelHandlerContext context) {
        this.ctx = context;
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
            // A FullHttpRequest (HTTP/2 headers with END_STREAM) is a head and a last content at once.
            requestComplete = msg instanceof LastHttpContent;
            onRequestHead(request);
        }
        if (msg instanceof HttpContent content) {
            if (call != null) {
                call.onRequestContent(content, content instanceof LastHttpContent);
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
        final Optional<ClientProtocol> protocol;
        final String contentTypeHeader = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
        final boolean namesAMethod = ProtocolDetector.namesAMethod(request.uri());
        if (HttpMethod.POST.equals(request.method())) {
            protocol = contentTypeHeader == null ? Optional.empty() : detectPost(contentTypeHeader);
            if (protocol.isEmpty() && !namesAMethod) {
                rejectPathNotFound(request);
                return;
            }
            if (protocol.isEmpty()) {
                final String reason = "unsupported content-type " + (contentTypeHeader == null ? "(none)"
                        : '"' + contentTypeHeader + '"') + ": Portico accepts " + ProtocolDetector.accepted();
                reject(request, reason,
                       PlainResponses.of(ctx.alloc(), HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE, reason));
                return;
            }
        } else {
            protocol = HttpMethod.GET.equals(request.method())
                       ? runtime.protocols().detectGet(request.uri()) : Optional.empty();
            if (protocol.isEmpty() && !namesAMethod) {
                rejectPathNotFound(request);
                return;
            }
            if (protocol.isEmpty()) {
                final var response = PlainResponses.of(
                        ctx.alloc(), HttpResponseStatus.METHOD_NOT_ALLOWED, request.method()
                        + " is not allowed: calls are POST (or Connect GET, with encoding and message parameters)");
                response.headers().set(HttpHeaderNames.ALLOW, "POST, GET, OPTIONS");
                reject(request, response.status().toString(), response);
                return;
            }
        }
        if (!namesAMethod) {
            final String message = ProtocolDetector.malformedPathMessage(request.uri());
            final Optional<FullHttpResponse> notFound = protocol.get().pathNotFound(ctx.alloc(), message);
            if (notFound.isPresent()) {
                rejectedCall(protocol.get().tag(), UNPARSED_METHOD, RpcCode.UNIMPLEMENTED);
                reject(request, message, notFound.get());
                return;
            }
        }
        if (request instanceof WebSocketCallRequest) {
            // The WebSocket bridge checked the content type (gRPC-Web binary): the call is tagged as its own.
            startCall(request, GrpcProtocol.WEBSOCKET, contentTypeHeader);
            return;
        }
        if (protocol.get() == GrpcProtocol.NATIVE && !(ctx.channel() instanceof Http2StreamChannel)) {
            final String reason = "native gRPC needs HTTP/2; use application/grpc-web over HTTP/1.1";
            reject(request, reason,
                   PlainResponses.of(ctx.alloc(), HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, reason));
            return;
        }
        startCall(request, protocol.get(), contentTypeHeader);
    }

    /** A path that is not {@code /package.Service/Method} in no protocol Portico knows: a plain 404. */
    private void rejectPathNotFound(HttpRequest request) {
        final String message = ProtocolDetector.malformedPathMessage(request.uri());
        reject(request, message, PlainResponses.of(ctx.alloc(), HttpResponseStatus.NOT_FOUND, message));
    }

    private Optional<ClientProtocol> detectPost(String contentType) {
        try {
            return runtime.protocols().detectPost(MediaType.parse(contentType));
        } catch (ProtocolException e) {
            return Optional.empty(); // Not even a media type: 415 like any other unknown type.
        }
    }

    private void startCall(HttpRequest request, ClientProtocol protocol, String contentTypeHeader) {
        final RequestMeta meta;
        try {
            final MediaType contentType = contentTypeHeader == null ? null : MediaType.parse(contentTypeHeader);
            meta = protocol.parseRequest(request, contentType);
        } catch (ProtocolException e) {
            // The head is not usable: answer in the client's protocol, with the request's content type.
            rejectInProtocol(request, protocol,
                             RequestMeta.unparsed(UNPARSED_METHOD, contentTypeHeader == null ? "application/json"
                                                                                           : contentTypeHeader),
                             e.code(), e.getMessage());
            return;
        }
        final int upstreamHeaderBytes = UpstreamHeaderSize.of(meta);
        if (upstreamHeaderBytes > runtime.limits().maxHeaderListBytes()) {
            // The upstream would refuse the head (and grpc-java would report that as INTERNAL): say why here.
            rejectInProtocol(request, protocol, meta, RpcCode.RESOURCE_EXHAUSTED, "the request metadata "
                             + "would be about " + upstreamHeaderBytes + " bytes upstream, over the "
                             + runtime.limits().maxHeaderListBytes() + "-byte limit (limits.max-header-list-bytes)");
            return;
        }
        final ActiveCalls active = runtime.activeCalls();
        if (!active.tryReserve()) {
            if (active.isClosed()) {
                rejectInProtocol(request, protocol, meta, RpcCode.UNAVAILABLE, "Portico is shutting down");
                return;
            }
            // Shed before any upstream work, so that an overload costs as little as possible.
            runtime.metrics().shed(protocol.tag());
            rejectInProtocol(request, protocol, meta, RpcCode.UNAVAILABLE, "Portico is overloaded ("
                             + active.max() + " calls in flight); retry with backoff");
            return;
        }
        final PickResult pick = runtime.upstream().pick(meta.fullMethodName());
        if (pick instanceof PickResult.Picked picked) {
            final CallObserver observer = observers.get();
            observer.callStarted(protocol.tag(), meta.fullMethodName());
            call = new ProxyCall(ctx, protocol, meta, picked, runtime, this, observer);
            active.add(call);
            // Rapid reset (CVE-2023-44487): the upstream call starts once the loop is done with the read that
            // carried this head, so a RST_STREAM right behind it cancels the call before it costs one.
            ctx.executor().execute(call::start);
            return;
        }
        active.release(null);
        if (pick instanceof PickResult.NoEndpoint none) {
            // The reason names the cluster's endpoints (addresses, DNS names): for the log, not the client.
            throttledLog.warn("no-endpoint", "{} {}: {}", protocol.tag(), meta.fullMethodName(), none.reason());
            rejectInProtocol(request, protocol, meta, RpcCode.UNAVAILABLE,
                             runtime.errors().exposeUpstreamDetails() ? none.reason() : "no upstream available");
        } else if (pick instanceof PickResult.NoRoute none) {
            // No cluster serves the service: no upstream is asked.
            rejectInProtocol(request, protocol, meta, RpcCode.UNIMPLEMENTED, none.reason());
        }
    }

    private void rejectInProtocol(HttpRequest request, ClientProtocol protocol, RequestMeta meta, RpcCode code,
                                  String message) {
        rejectedCall(protocol.tag(), meta.fullMethodName(), code);
        final DeferredResponse nothing = protocol.defersHead() ? new DeferredResponse(new Metadata(), null, false)
                                                                : null;
        reject(request, code + ": " + message,
               protocol.encodeEnd(ctx.alloc(), meta, CallOutcome.local(code, message), false, nothing));
    }

    /** A call Portico answered itself, with {@code code}, before any upstream work: counted and observed. */
    private void rejectedCall(String protocol, String fullMethodName, RpcCode code) {
        runtime.metrics().rejected(protocol, fullMethodName, code);
        final CallObserver observer = observers.get();
        observer.callStarted(protocol, fullMethodName);
        observer.callEnded(code);
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

    /** Answers a request without a call; the rest of its body is discarded, so the connection stays usable. */
    private void reject(HttpRequest request, String reason, HttpObject response) {
        throttledLog.warn("rejected-request", "rejected {} {} from {}: {}", request.method(),
                          abbreviate(request.uri()), ctx.channel().remoteAddress(), reason);
        ctx.writeAndFlush(response).addListener(future -> afterResponse(future.isSuccess()));
    }

    @Override
    public void onCallEnded(boolean responseWritten) {
        call = null;
        if (responseWritten) {
            afterResponse(true);
        }
    }

    private void afterResponse(boolean written) {
        if (!written) {
            ctx.close();
        } else if (requestComplete) {
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
    public void userEventTriggered(ChannelHandlerContext context, Object evt) {
        if (evt instanceof Http2ResetFrame) {
            if (call != null) {
                // The client reset the stream: cancel now rather than when the stream channel closes, a loop
                // turn later, so that a call whose start is still queued (see startCall) never starts upstream.
                call.cancel();
            }
            // Netty closes a reset stream's channel only once its queued frames were read, and reads are
            // Portico's to ask for: close it now, which releases what the client sent before the reset.
            context.fireUserEventTriggered(evt);
            context.close();
            return;
        }
        context.fireUserEventTriggered(evt);
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
        // On an HTTP/2 stream, closing resets the stream alone.
        ConnectionExceptions.report(context.channel(), cause);
        context.close().addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
    }

    private static String abbreviate(String uri) {
        return uri.length() > 200 ? uri.substring(0, 200) + "..." : uri;
    }
}
