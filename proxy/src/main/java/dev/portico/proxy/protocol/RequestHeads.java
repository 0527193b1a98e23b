package dev.portico.proxy.protocol;

import dev.portico.proxy.wire.ConnectTimeout;
import dev.portico.proxy.wire.GrpcTimeout;
import dev.portico.proxy.wire.HeaderNames;
import dev.portico.proxy.wire.ProtocolException;
import dev.portico.proxy.wire.RpcCode;
import io.netty.handler.codec.http.HttpHeaders;

/** Request-head parsing shared by every client protocol. */
final class RequestHeads {
    private RequestHeads() {}

    /**
     * The gRPC method a request path names: {@code /package.Service/Method} becomes
     * {@code package.Service/Method}. A query string is ignored.
     */
    static String fullMethodName(String uri) throws ProtocolException {
        if (!isMethodPath(uri)) {
            throw new ProtocolException(RpcCode.UNIMPLEMENTED, malformedPathMessage(uri));
        }
        return path(uri).substring(1);
    }

    /** Whether the path (query ignored) has the form {@code /package.Service/Method}. */
    static boolean isMethodPath(String uri) {
        final String path = path(uri);
        final int slash = path.indexOf('/', 1);
        return path.length() >= 4 && path.charAt(0) == '/' && slash >= 2 && slash < path.length() - 1
               && path.indexOf('/', slash + 1) < 0;
    }

    /** Why a path that {@link #isMethodPath} refuses names no method. */
    static String malformedPathMessage(String uri) {
        return "malformed path " + quoted(path(uri)) + ": expected /package.Service/Method";
    }

    private static String path(String uri) {
        final int query = uri.indexOf('?');
        return query < 0 ? uri : uri.substring(0, query);
    }

    /** The {@code grpc-timeout} header in nanoseconds, or {@link RequestMeta#NO_TIMEOUT} when absent. */
    static long grpcTimeoutNanos(HttpHeaders headers) throws ProtocolException {
        final String value = headers.get(HeaderNames.GRPC_TIMEOUT);
        return value == null ? RequestMeta.NO_TIMEOUT : GrpcTimeout.parseNanos(value);
    }

    /** The {@code Connect-Timeout-Ms} header in nanoseconds, or {@link RequestMeta#NO_TIMEOUT} when absent. */
    static long connectTimeoutNanos(HttpHeaders headers) throws ProtocolException {
        final String value = headers.get(HeaderNames.CONNECT_TIMEOUT_MS);
        return value == null ? RequestMeta.NO_TIMEOUT : ConnectTimeout.parseNanos(value);
    }

    /** The codec a content-type suffix or Connect codec name gives; the detector already refused others. */
    static Codec codec(String name) throws ProtocolException {
        final Codec codec = Codec.named(name);
        if (codec == null) {
            throw new ProtocolException(RpcCode.INVALID_ARGUMENT, "unsupported codec \"" + name + "\"");
        }
        return codec;
    }

    /**
     * Checks a Connect protocol version ({@code Connect-Protocol-Version} header or GET's {@code connect}
     * parameter): only version 1 exists; absent is fine unless the configuration requires it.
     */
    static void checkConnectVersion(String version, String expected, boolean required, String what)
            throws ProtocolException {
        if (version == null) {
            if (required) {
                throw new ProtocolException(RpcCode.INVALID_ARGUMENT,
                                            "missing " + what + ": this server requires " + expected);
            }
        } else if (!expected.equals(version.trim())) {
            throw new ProtocolException(RpcCode.INVALID_ARGUMENT,
                                        "unsupported " + what + " \"" + version + "\": expected " + expected);
        }
    }

    private static String quoted(String path) {
        // Bounded, so that a hostile path cannot flood the log or the status message.
        return '"' + (path.length() > 200 ? path.substring(0, 200) + "..." : path) + '"';
    }
}
