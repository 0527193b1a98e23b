package dev.portico.proxy.call;

import dev.portico.proxy.protocol.RequestMeta;
import io.grpc.Metadata;
import java.nio.charset.StandardCharsets;

/**
 * The size of the header block a call's upstream request will have, as HTTP/2 servers count it against their
 * SETTINGS_MAX_HEADER_LIST_SIZE: "the uncompressed size of header fields, including the length of the name
 * and value in octets plus an overhead of 32 octets for each header field" (RFC 9113 §6.5.2). Portico checks
 * it before calling, so that metadata the upstream would refuse gets a clear RESOURCE_EXHAUSTED instead of
 * grpc-java's INTERNAL for the upstream's refusal.
 */
final class UpstreamHeaderSize {
    private static final int FIELD_OVERHEAD = 32;
    /**
     * What grpc-java adds to every request besides the path and the metadata, rounded up: nine fields
     * (:method, :scheme, :authority, te, content-type, user-agent, grpc-accept-encoding, grpc-encoding,
     * grpc-timeout) are 288 bytes of overhead, 93 of names and at most about 170 of values with a host name
     * of up to 64 bytes.
     */
    private static final int FIXED_FIELDS_BYTES = 600;

    private UpstreamHeaderSize() {}

    /** The estimated header list size, in bytes, of the upstream request for {@code meta}. */
    static int of(RequestMeta meta) {
        int size = FIXED_FIELDS_BYTES + FIELD_OVERHEAD + ":path".length() + 1 + meta.fullMethodName().length();
        final Metadata metadata = meta.metadata();
        for (String name : metadata.keys()) {
            if (name.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                for (byte[] value : metadata.getAll(Metadata.Key.of(name, Metadata.BINARY_BYTE_MARSHALLER))) {
                    // Sent as unpadded base64: 4 characters per 3 bytes.
                    size += FIELD_OVERHEAD + name.length() + (value.length * 4 + 2) / 3;
                }
            } else {
                for (String value : metadata.getAll(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER))) {
                    size += FIELD_OVERHEAD + name.length() + value.getBytes(StandardCharsets.US_ASCII).length;
                }
            }
        }
        return size;
    }
}
