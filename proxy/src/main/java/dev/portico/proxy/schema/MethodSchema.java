package dev.portico.proxy.schema;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.DescriptorProtos.MethodOptions.IdempotencyLevel;
import com.google.protobuf.Descriptors;
import com.google.protobuf.TypeRegistry;

/**
 * The protobuf schema of one method. Immutable, and safe to share between threads (descriptors are).
 *
 * @param method the method, linked with its service, file and imports
 * @param types  every message type known to the {@link SchemaRegistry} when this schema was looked up, the
 *               method's own types and the {@code google.rpc} error details among them: to resolve
 *               {@code google.protobuf.Any} fields in JSON
 */
public record MethodSchema(Descriptors.MethodDescriptor method, TypeRegistry types) {

    public MethodSchema {
        requireNonNull(method, "method");
        requireNonNull(types, "types");
    }

    /** The request message type. */
    public Descriptors.Descriptor input() {
        return method.getInputType();
    }

    /** The response message type. */
    public Descriptors.Descriptor output() {
        return method.getOutputType();
    }

    /** Whether requests and responses are streams. */
    public RpcKind kind() {
        return RpcKind.of(method.isClientStreaming(), method.isServerStreaming());
    }

    /**
     * Whether the method declares {@code option idempotency_level = NO_SIDE_EFFECTS;}, which is what makes it
     * callable with Connect GET (Connect protocol: "Unary-Get-Request").
     */
    public boolean noSideEffects() {
        return method.getOptions().getIdempotencyLevel() == IdempotencyLevel.NO_SIDE_EFFECTS;
    }
}
