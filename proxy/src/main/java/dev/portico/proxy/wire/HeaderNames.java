package dev.portico.proxy.wire;

import io.netty.util.AsciiString;

/**
 * Every gRPC, gRPC-Web and Connect header name the proxy reads or writes, once, as lower-case
 * {@link AsciiString} constants. Standard HTTP names come from Netty's {@code HttpHeaderNames}.
 */
public final class HeaderNames {

    // PROTOCOL-HTTP2.md: Status, Status-Message, Timeout, Message-Encoding, Message-Accept-Encoding.
    public static final AsciiString GRPC_STATUS = AsciiString.cached("grpc-status");
    public static final AsciiString GRPC_MESSAGE = AsciiString.cached("grpc-message");
    public static final AsciiString GRPC_STATUS_DETAILS_BIN = AsciiString.cached("grpc-status-details-bin");
    public static final AsciiString GRPC_TIMEOUT = AsciiString.cached("grpc-timeout");
    public static final AsciiString GRPC_ENCODING = AsciiString.cached("grpc-encoding");
    public static final AsciiString GRPC_ACCEPT_ENCODING = AsciiString.cached("grpc-accept-encoding");

    // PROTOCOL-WEB.md: headers the browser clients send instead of User-Agent and TE.
    public static final AsciiString X_GRPC_WEB = AsciiString.cached("x-grpc-web");
    public static final AsciiString X_USER_AGENT = AsciiString.cached("x-user-agent");

    // Connect spec: unary and streaming request headers.
    public static final AsciiString CONNECT_PROTOCOL_VERSION = AsciiString.cached("connect-protocol-version");
    public static final AsciiString CONNECT_TIMEOUT_MS = AsciiString.cached("connect-timeout-ms");
    public static final AsciiString CONNECT_CONTENT_ENCODING = AsciiString.cached("connect-content-encoding");
    public static final AsciiString CONNECT_ACCEPT_ENCODING = AsciiString.cached("connect-accept-encoding");

    // W3C Trace Context: the caller's span and vendor state, continued by tracing.
    public static final AsciiString TRACEPARENT = AsciiString.cached("traceparent");
    public static final AsciiString TRACESTATE = AsciiString.cached("tracestate");
    /** The de-facto header in which proxies append the address they got a request from. */
    public static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");

    /** Connect unary: trailing metadata travels as response headers with this prefix (Connect spec). */
    public static final AsciiString TRAILER_PREFIX = AsciiString.cached("trailer-");
    /** PROTOCOL-HTTP2.md: a name ending in {@code -bin} carries a base64-encoded binary value. */
    public static final AsciiString BINARY_SUFFIX = AsciiString.cached("-bin");
    /** PROTOCOL-HTTP2.md: names starting with {@code grpc-} are reserved for the protocol. */
    public static final AsciiString GRPC_PREFIX = AsciiString.cached("grpc-");
    /** Connect spec: names starting with {@code connect-} are reserved for the protocol. */
    public static final AsciiString CONNECT_PREFIX = AsciiString.cached("connect-");

    // RFC 9110 §7.6.1 connection-specific fields, plus HTTP/1-only framing and upgrade fields that must not
    // reach an HTTP/2 upstream as metadata (a forwarded "connection" made backends RST_STREAM: improbable#568).
    private static final AsciiString[] HOP_BY_HOP = {
        AsciiString.cached("connection"),
        AsciiString.cached("keep-alive"),
        AsciiString.cached("proxy-connection"),
        AsciiString.cached("transfer-encoding"),
        AsciiString.cached("te"),
        AsciiString.cached("upgrade"),
        AsciiString.cached("trailer"),
        AsciiString.cached("host"),
        AsciiString.cached("content-length"),
        AsciiString.cached("http2-settings"),
    };

    private HeaderNames() {
    }

    /**
     * Whether a header must not be forwarded from one hop to the next: the connection-specific fields
     * listed in the class body, and every HTTP/2 pseudo-header (a name starting with {@code ':'}).
     * {@code host} is included because it becomes {@code :authority}, and {@code content-length} because it
     * measures the HTTP/1 body, not the sum of HTTP/2 DATA frames. Names are compared ignoring ASCII case.
     */
    public static boolean isHopByHop(CharSequence lowerCaseName) {
        if (lowerCaseName.length() > 0 && lowerCaseName.charAt(0) == ':') {
            return true;
        }
        for (AsciiString name : HOP_BY_HOP) {
            if (name.contentEqualsIgnoreCase(lowerCaseName)) {
                return true;
            }
        }
        return false;
    }
}
