package dev.portico.proxy.protocol;

import static java.util.Objects.requireNonNull;

import io.grpc.Metadata;

/**
 * What a client protocol learnt from a request's head, ready for the upstream call.
 *
 * @param fullMethodName {@code package.Service/Method}, as the upstream's method descriptor wants it
 * @param timeoutNanos the deadline the client asked for, or {@link #NO_TIMEOUT}
 * @param metadata the request headers that become upstream metadata
 * @param responseContentType the {@code content-type} the response carries
 */
public record RequestMeta(String fullMethodName, long timeoutNanos, Metadata metadata,
                          CharSequence responseContentType) {
    public static final long NO_TIMEOUT = -1;

    public RequestMeta {
        requireNonNull(fullMethodName, "fullMethodName");
        requireNonNull(metadata, "metadata");
        requireNonNull(responseContentType, "responseContentType");
    }
}
