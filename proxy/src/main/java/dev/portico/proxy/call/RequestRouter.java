package dev.portico.proxy.call;

import static java.util.Objects.requireNonNull;

import dev.portico.proxy.protocol.CallOutcome;
import dev.portico.proxy.protocol.ClientProtocol;
import dev.portico.proxy.protocol.DeferredResponse;
import dev.portico.proxy.protocol.GrpcProtocol;
import dev.portico.proxy.protocol.ProtocolDetector;
import dev.portico.proxy.protocol.RequestMeta;
import dev.portico.proxy.transport.CallExchange;
import dev.portico.proxy.transport.PlainResponses;
import dev.portico.proxy.transport.ThrottledLog;
import dev.portico.proxy.transport.WebSocketCallRequest;
import dev.portico.proxy.wire.MediaType;
import dev.portico.proxy.wire.ProtocolException;
import dev.portico.proxy.wire.RpcCode;
import dev.portico.upstream.PickResult;
import io.grpc.Metadata;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Optional;
import org.slf4j.LoggerFactory;

/**
 * Decides what becomes of a request head, whatever the HTTP version: a {@link ProxyCall} in the protocol it
 * speaks, or an answer without one (unknown path or content type, overload, no upstream).
 */
public final class RequestRouter {
    /** What clients get wrong is logged at most once per kind and interval, with a count. */
    private static final ThrottledLog throttledLog = new ThrottledLog(LoggerFactory.getLogger(RequestRouter.class));

    /** The method name a request whose head could not be parsed is counted under. */
    static final String UNPARSED_METHOD = "(unparsed)";

    private final ProxyRuntime runtime;

    public RequestRouter(ProxyRuntime runtime) {
        this.runtime = requireNonNull(runtime, "runtime");
    }

    /** The request being routed, who observes it, and where its answer goes. */
    private record Exchange(CallExchange exchange, HttpRequest request, CallObserver observer,
                            ProxyCall.EndListener listener) {
        ByteBufAllocator alloc() {
            return exchange.alloc();
        }
    }

    /**
     * Serves {@code request} on {@code exchange}: returns its call, started, or null when it was answered
     * without one. Either way {@code listener} hears when the response is over; {@code observer} hears of
     * the call, also of one Portico answers itself in the client's protocol.
     */
    public ProxyCall route(CallExchange exchange, HttpRequest request, CallObserver observer,
                           ProxyCall.EndListener listener) {
        final Exchange ex = new Exchange(exchange, request, requireNonNull(observer, "observer"), listener);
        final Optional<ClientProtocol> protocol;
        final String contentTypeHeader = ex.request().headers().get(HttpHeaderNames.CONTENT_TYPE);
        final boolean namesAMethod = ProtocolDetector.namesAMethod(ex.request().uri());
        if (HttpMethod.POST.equals(ex.request().method())) {
            protocol = contentTypeHeader == null ? Optional.empty() : detectPost(contentTypeHeader);
            if (protocol.isEmpty() && !namesAMethod) {
                return rejectPathNotFound(ex);
            }
            if (protocol.isEmpty()) {
                final String reason = "unsupported content-type " + (contentTypeHeader == null ? "(none)"
                        : '"' + contentTypeHeader + '"') + ": Portico accepts " + ProtocolDetector.accepted();
                return reject(ex, reason,
                              PlainResponses.of(ex.alloc(), HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE, reason));
            }
        } else {
            protocol = HttpMethod.GET.equals(ex.request().method())
                       ? runtime.protocols().detectGet(ex.request().uri()) : Optional.empty();
            if (protocol.isEmpty() && !namesAMethod) {
                return rejectPathNotFound(ex);
            }
            if (protocol.isEmpty()) {
                final var response = PlainResponses.of(
                        ex.alloc(), HttpResponseStatus.METHOD_NOT_ALLOWED, ex.request().method()
                        + " is not allowed: calls are POST (or Connect GET, with encoding and message parameters)");
                response.headers().set(HttpHeaderNames.ALLOW, "POST, GET, OPTIONS");
                return reject(ex, response.status().toString(), response);
            }
        }
        if (!namesAMethod) {
            final String message = ProtocolDetector.malformedPathMessage(ex.request().uri());
            final Optional<FullHttpResponse> notFound = protocol.get().pathNotFound(ex.alloc(), message);
            if (notFound.isPresent()) {
                rejectedCall(ex, protocol.get().tag(), UNPARSED_METHOD, RpcCode.UNIMPLEMENTED);
                return reject(ex, message, notFound.get());
            }
        }
        if (ex.request() instanceof WebSocketCallRequest) {
            // The WebSocket bridge checked the content type (gRPC-Web binary): the call is tagged as its own.
            return startCall(ex, GrpcProtocol.WEBSOCKET, contentTypeHeader);
        }
        if (protocol.get() == GrpcProtocol.NATIVE && !ex.exchange().isHttp2()) {
            final String reason = "native gRPC needs HTTP/2; use application/grpc-web over HTTP/1.1";
            return reject(ex, reason,
                          PlainResponses.of(ex.alloc(), HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, reason));
        }
        return startCall(ex, protocol.get(), contentTypeHeader);
    }

    /** A path that is not {@code /package.Service/Method} in no protocol Portico knows: a plain 404. */
    private ProxyCall rejectPathNotFound(Exchange ex) {
        final String message = ProtocolDetector.malformedPathMessage(ex.request().uri());
        return reject(ex, message, PlainResponses.of(ex.alloc(), HttpResponseStatus.NOT_FOUND, message));
    }

    private Optional<ClientProtocol> detectPost(String contentType) {
        try {
            return runtime.protocols().detectPost(MediaType.parse(contentType));
        } catch (ProtocolException e) {
            return Optional.empty(); // Not even a media type: 415 like any other unknown type.
        }
    }

    private ProxyCall startCall(Exchange ex, ClientProtocol protocol, String contentTypeHeader) {
        final RequestMeta meta;
        try {
            final MediaType contentType = contentTypeHeader == null ? null : MediaType.parse(contentTypeHeader);
            meta = protocol.parseRequest(ex.request(), contentType);
        } catch (ProtocolException e) {
            // The head is not usable: answer in the client's protocol, with the request's content type.
            return rejectInProtocol(ex, protocol,
                                    RequestMeta.unparsed(UNPARSED_METHOD, contentTypeHeader == null ? "application/json"
                                                                                                  : contentTypeHeader),
                                    e.code(), e.getMessage());
        }
        final int upstreamHeaderBytes = UpstreamHeaderSize.of(meta);
        if (upstreamHeaderBytes > runtime.limits().maxHeaderListBytes()) {
            // The upstream would refuse the head (and grpc-java would report that as INTERNAL): say why here.
            return rejectInProtocol(ex, protocol, meta, RpcCode.RESOURCE_EXHAUSTED, "the request metadata "
                                    + "would be about " + upstreamHeaderBytes + " bytes upstream, over the "
                                    + runtime.limits().maxHeaderListBytes()
                                    + "-byte limit (limits.max-header-list-bytes)");
        }
        final ActiveCalls active = runtime.activeCalls();
        if (!active.tryReserve()) {
            if (active.isClosed()) {
                return rejectInProtocol(ex, protocol, meta, RpcCode.UNAVAILABLE, "Portico is shutting down");
            }
            // Shed before any upstream work, so that an overload costs as little as possible.
            runtime.metrics().shed(protocol.tag());
            return rejectInProtocol(ex, protocol, meta, RpcCode.UNAVAILABLE, "Portico is overloaded ("
                                    + active.max() + " calls in flight); retry with backoff");
        }
        final PickResult pick = runtime.upstream().pick(meta.fullMethodName());
        if (pick instanceof PickResult.Picked picked) {
            ex.observer().callStarted(protocol.tag(), meta.fullMethodName());
            final ProxyCall call = new ProxyCall(ex.exchange(), protocol, meta, picked, runtime, ex.listener(),
                                                 ex.observer());
            active.add(call);
            // Rapid reset (CVE-2023-44487): the upstream call starts once the loop is done with the read that
            // carried this head, so a RST_STREAM right behind it cancels the call before it costs one.
            ex.exchange().eventLoop().execute(call::start);
            return call;
        }
        active.release(null);
        if (pick instanceof PickResult.NoEndpoint none) {
            // The reason names the cluster's endpoints (addresses, DNS names): for the log, not the client.
            throttledLog.warn("no-endpoint", "{} {}: {}", protocol.tag(), meta.fullMethodName(), none.reason());
            return rejectInProtocol(ex, protocol, meta, RpcCode.UNAVAILABLE,
                                    runtime.errors().exposeUpstreamDetails() ? none.reason() : "no upstream available");
        }
        // No cluster serves the service (PickResult.NoRoute): no upstream is asked.
        return rejectInProtocol(ex, protocol, meta, RpcCode.UNIMPLEMENTED, ((PickResult.NoRoute) pick).reason());
    }

    private ProxyCall rejectInProtocol(Exchange ex, ClientProtocol protocol, RequestMeta meta, RpcCode code,
                                       String message) {
        rejectedCall(ex, protocol.tag(), meta.fullMethodName(), code);
        final DeferredResponse nothing = protocol.defersHead() ? new DeferredResponse(new Metadata(), null, false)
                                                                : null;
        return reject(ex, code + ": " + message,
                      protocol.encodeEnd(ex.alloc(), meta, CallOutcome.local(code, message), false, nothing));
    }

    /** A call Portico answered itself, with {@code code}, before any upstream work: counted and observed. */
    private void rejectedCall(Exchange ex, String protocol, String fullMethodName, RpcCode code) {
        runtime.metrics().rejected(protocol, fullMethodName, code);
        ex.observer().callStarted(protocol, fullMethodName);
        ex.observer().callEnded(code);
    }

    /** Answers a request without a call; the rest of its body is discarded, so the connection stays usable. */
    private static ProxyCall reject(Exchange ex, String reason, HttpObject response) {
        throttledLog.warn("rejected-request", "rejected {} {} from {}: {}", ex.request().method(),
                          abbreviate(ex.request().uri()), ex.exchange().connection().remoteAddress(), reason);
        ex.exchange().writeEnd(response).addListener(future -> {
            if (!future.isSuccess()) {
                ex.exchange().close();
            }
            ex.listener().onCallEnded(future.isSuccess());
        });
        return null;
    }

    private static String abbreviate(String uri) {
        return uri.length() > 200 ? uri.substring(0, 200) + "..." : uri;
    }
}
