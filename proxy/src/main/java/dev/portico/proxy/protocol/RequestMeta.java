package dev.portico.proxy.protocol;

import static java.util.Objects.requireNonNull;

import dev.portico.proxy.wire.Compression;
import io.grpc.Metadata;

/**
 * What a client protocol learnt from a request's head, ready for the upstream call.
 *
 * @param fullMethodName {@code package.Service/Method}, as the upstream's method descriptor wants it
 * @param timeoutNanos the deadline the client asked for, or {@link #NO_TIMEOUT}
 * @param metadata the request headers that become upstream metadata
 * @param responseContentType the {@code content-type} the response carries
 * @param codec how the client serialises messages
 * @param requestCompression how the client compressed its messages
 * @param responseCompression the compression the client accepts for responses
 * @param inlineMessage a message carried in the URL (Connect GET), or null when it comes in the body
 */
public record RequestMeta(String fullMethodName, long timeoutNanos, Metadata metadata,
                          CharSequence responseContentType, Codec codec, Compression requestCompression,
                          Compression responseCompression, byte[] inlineMessage) {
    public static final long NO_TIMEOUT = -1;

    public RequestMeta {
        requireNonNull(fullMethodName, "fullMethodName");
        requireNonNull(metadata, "metadata");
        requireNonNull(responseContentType, "responseContentType");
        requireNonNull(codec, "codec");
        requireNonNull(requestCompression, "requestCompression");
        requireNonNull(responseCompression, "responseCompression");
    }

    /** A head Portico could not parse: enough to answer in the client's protocol. */
    public static RequestMeta unparsed(String fullMethodName, CharSequence responseContentType) {
        return new RequestMeta(fullMethodName, NO_TIMEOUT, new Metadata(), responseContentType, Codec.PROTO,
                               Compression.IDENTITY, Compression.IDENTITY, null);
    }

    /** Whether the call came as a Connect GET (whose response may be cached). */
    public boolean isGet() {
        return inlineMessage != null;
    }
}
