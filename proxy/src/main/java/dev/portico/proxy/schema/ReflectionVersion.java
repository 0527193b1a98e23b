package dev.portico.proxy.schema;

import io.grpc.MethodDescriptor;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;

/**
 * The gRPC server reflection protocol versions Portico asks for, newest first. Both speak the same messages:
 * {@code grpc.reflection.v1} is {@code v1alpha} moved to a stable package with the field numbers unchanged
 * (grpc/grpc-proto, reflection/v1/reflection.proto), so the v1 Java classes encode and decode both and only
 * the method name differs.
 */
enum ReflectionVersion {
    V1("grpc.reflection.v1"),
    V1ALPHA("grpc.reflection.v1alpha");

    private final String protoPackage;
    private final MethodDescriptor<ServerReflectionRequest, ServerReflectionResponse> method;

    ReflectionVersion(String protoPackage) {
        this.protoPackage = protoPackage;
        this.method = ServerReflectionGrpc.getServerReflectionInfoMethod().toBuilder()
                .setFullMethodName(MethodDescriptor.generateFullMethodName(
                        protoPackage + ".ServerReflection", "ServerReflectionInfo"))
                .build();
    }

    /** {@code <package>.ServerReflection/ServerReflectionInfo}, a bidi-streaming method. */
    MethodDescriptor<ServerReflectionRequest, ServerReflectionResponse> method() {
        return method;
    }

    /** For log lines: {@code reflection v1}, {@code reflection v1alpha}. */
    String label() {
        return "reflection " + protoPackage.substring(protoPackage.lastIndexOf('.') + 1);
    }
}
