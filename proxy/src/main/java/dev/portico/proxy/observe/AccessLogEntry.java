package dev.portico.proxy.observe;

import dev.portico.proxy.wire.RpcCode;
import java.time.Instant;

/**
 * One line of the access log: a request and how it ended. Fields that do not apply are null (or 0 for
 * {@code httpStatus}, {@code attempts}).
 *
 * @param start when the request head arrived
 * @param client the client's address: the TCP peer's, or the one {@code X-Forwarded-For} names when a
 *               trusted proxy sent it
 * @param peer the TCP peer, {@code ip:port}
 * @param httpMethod the request's HTTP method
 * @param path the request path, without the query
 * @param httpVersion {@code HTTP/1.1} or {@code HTTP/2.0}
 * @param protocol the client protocol's tag ({@code grpc-web}, {@code connect}, ...) of a call, or null
 * @param method the call's {@code package.Service/Method}, or null when the request was not a call
 * @param httpStatus the response's HTTP status, or 0 when none was sent
 * @param grpcStatus the call's status code, or null when the request was not a call
 * @param requestBytes request body bytes received
 * @param responseBytes response body bytes sent
 * @param durationNanos from the request head to the response's last byte written (or the call's end)
 * @param upstream the endpoint of the last upstream attempt, or null
 * @param attempts upstream attempts made
 * @param userAgent the {@code User-Agent} header, or null
 * @param traceId the call's trace id (Portico's span's, else the incoming {@code traceparent}'s), or null
 */
public record AccessLogEntry(Instant start, String client, String peer, String httpMethod, String path,
                             String httpVersion, String protocol, String method, int httpStatus,
                             RpcCode grpcStatus, long requestBytes, long responseBytes, long durationNanos,
                             String upstream, int attempts, String userAgent, String traceId) {

    /** Whether the request went well: a call that ended OK, or a plain request answered below 400. */
    public boolean succeeded() {
        return grpcStatus == null ? httpStatus > 0 && httpStatus < 400 : grpcStatus == RpcCode.OK;
    }
}
