package dev.portico.proxy.observe;

import dev.portico.proxy.call.CallObserver;
import dev.portico.proxy.wire.HeaderNames;
import dev.portico.proxy.wire.RpcCode;
import dev.portico.upstream.Endpoint;
import io.grpc.Metadata;
import io.grpc.Status;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.opentelemetry.api.trace.Span;
import java.net.SocketAddress;
import java.time.Instant;

/**
 * One request and its response as observability sees them: the HTTP side from {@link ExchangeTracker}, the
 * call's side from {@link CallObserver}. At its end it writes the access-log line, once.
 *
 * <p><b>Thread:</b> confined to the connection's event loop, like the call it observes.
 */
final class Exchange implements CallObserver {
    /** Longest path logged; a longer one is cut and marked. */
    private static final int MAX_PATH_CHARS = 200;

    private final AccessLog accessLog;
    /** Null when tracing is off. */
    private final Tracing tracing;
    private final long startNanos = System.nanoTime();
    private final Instant start = Instant.now();
    private final SocketAddress peer;
    private final String forwardedFor;
    private final String httpMethod;
    private final String path;
    private final String httpVersion;
    private final String userAgent;
    private final String incomingTraceId;
    /** The request's headers, for the caller's trace context; only kept while tracing. */
    private final HttpHeaders requestHeaders;
    /** The call's server span and its current attempt's client span, while tracing. */
    private Span callSpan;
    private Span attemptSpan;

    private String protocol;
    private String method;
    private RpcCode code;
    private Endpoint upstream;
    private int attempts;
    private int httpStatus;
    private long requestBytes;
    private long responseBytes;
    /** When the response's last byte was written, or -1 until then. */
    private long respondedNanos = -1;
    private boolean requestComplete;
    private boolean ended;

    /** {@code httpVersion} as the access log names it: {@code HTTP/1.1}, {@code HTTP/2.0}. */
    Exchange(AccessLog accessLog, Tracing tracing, SocketAddress peer, HttpRequest request,
             String httpVersion) {
        this.accessLog = accessLog;
        this.tracing = tracing;
        final HttpHeaders headers = request.headers();
        this.requestHeaders = tracing == null ? null : headers;
        this.peer = peer;
        // Several X-Forwarded-For fields are one list (RFC 9110 section 5.3).
        this.forwardedFor = headers.contains(HeaderNames.X_FORWARDED_FOR)
                            ? String.join(",", headers.getAll(HeaderNames.X_FORWARDED_FOR)) : null;
        this.httpMethod = request.method().name();
        this.path = path(request.uri());
        this.httpVersion = httpVersion;
        this.userAgent = headers.get(HttpHeaderNames.USER_AGENT);
        this.incomingTraceId = TraceParent.traceId(headers.get(HeaderNames.TRACEPARENT));
    }

    private static String path(String uri) {
        final int query = uri.indexOf('?');
        final String path = query < 0 ? uri : uri.substring(0, query);
        return path.length() > MAX_PATH_CHARS ? path.substring(0, MAX_PATH_CHARS) + "..." : path;
    }

    @Override
    public void callStarted(String protocolTag, String fullMethodName) {
        this.protocol = protocolTag;
        this.method = fullMethodName;
        if (tracing != null) {
            callSpan = tracing.startCall(requestHeaders, protocolTag, fullMethodName, start,
                                         accessLog.client(peer, forwardedFor), httpVersion);
        }
    }

    @Override
    public Metadata attemptStarted(Endpoint endpoint, Metadata headers) {
        upstream = endpoint;
        attempts++;
        if (callSpan == null) {
            return headers; // Tracing off: traceparent passes through as the client sent it.
        }
        attemptSpan = tracing.startAttempt(callSpan, method, endpoint, attempts);
        return Tracing.withContext(headers, attemptSpan);
    }

    @Override
    public void attemptEnded(Status status) {
        if (attemptSpan != null) {
            Tracing.endAttempt(attemptSpan, status);
            attemptSpan = null;
        }
    }

    @Override
    public void callEnded(RpcCode rpcCode) {
        this.code = rpcCode;
    }

    void requestBytes(int bytes) {
        requestBytes += bytes;
    }

    void responseStatus(int status) {
        httpStatus = status;
    }

    void responseBytes(int bytes) {
        responseBytes += bytes;
    }

    /** The request's body was read to its end; returns whether the exchange is over. */
    boolean requestComplete() {
        requestComplete = true;
        return respondedNanos >= 0;
    }

    /**
     * The response's last byte was written; returns whether the exchange is over, which it is once the request
     * was read to its end too (the rest of a request answered early still counts in its bytes).
     */
    boolean responded() {
        respondedNanos = System.nanoTime();
        return requestComplete;
    }

    /**
     * The exchange was a protocol switch (101): no line of its own, since the call made over the switched
     * protocol (a WebSocket call, an h2c stream) is logged in its place, with its outcome.
     */
    void discard() {
        ended = true;
    }

    /** The exchange is over (or the channel closed): the access-log line goes out; once. */
    void end() {
        if (ended) {
            return;
        }
        ended = true;
        final long endNanos = respondedNanos >= 0 ? respondedNanos : System.nanoTime();
        String traceId = incomingTraceId;
        if (callSpan != null) {
            traceId = callSpan.getSpanContext().getTraceId();
            final long startEpochNanos = start.getEpochSecond() * 1_000_000_000L + start.getNano();
            tracing.endCall(callSpan, code, httpStatus, startEpochNanos + (endNanos - startNanos));
        }
        accessLog.write(new AccessLogEntry(
                start, accessLog.client(peer, forwardedFor), String.valueOf(peer).replaceFirst("^/", ""),
                httpMethod, path, httpVersion, protocol, method, httpStatus, code, requestBytes, responseBytes,
                endNanos - startNanos, upstream == null ? null : upstream.toString(), attempts,
                userAgent, traceId));
    }
}
