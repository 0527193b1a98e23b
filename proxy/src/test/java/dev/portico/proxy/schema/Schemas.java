package dev.portico.proxy.schema;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodOptions;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.Descriptors.FileDescriptor;
import dev.portico.config.SchemaSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Schemas for the tests: descriptor-set files, hand-built protos that import others, and settings. */
final class Schemas {
    static final String DEMO = "portico.demo.v1.DemoService";
    static final String ECHO = DEMO + "/Echo";
    static final String FAIL = DEMO + "/Fail";

    /** {@code portico/test/v1/types.proto}: {@code message Stamp { google.protobuf.Timestamp at = 1; }}. */
    static final FileDescriptorProto TYPES = FileDescriptorProto.newBuilder()
            .setName("portico/test/v1/types.proto")
            .setPackage("portico.test.v1")
            .setSyntax("proto3")
            .addDependency("google/protobuf/timestamp.proto")
            .addMessageType(DescriptorProto.newBuilder()
                    .setName("Stamp")
                    .addField(FieldDescriptorProto.newBuilder()
                            .setName("at")
                            .setNumber(1)
                            .setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL)
                            .setType(FieldDescriptorProto.Type.TYPE_MESSAGE)
                            .setTypeName(".google.protobuf.Timestamp")))
            .build();

    /**
     * {@code portico/test/v1/api.proto}: {@code service Api { rpc Get(Stamp) returns (google.protobuf.Empty)
     * { option idempotency_level = NO_SIDE_EFFECTS; } }}, importing {@link #TYPES} and empty.proto.
     */
    static final FileDescriptorProto API = FileDescriptorProto.newBuilder()
            .setName("portico/test/v1/api.proto")
            .setPackage("portico.test.v1")
            .setSyntax("proto3")
            .addDependency(TYPES.getName())
            .addDependency("google/protobuf/empty.proto")
            .addService(ServiceDescriptorProto.newBuilder()
                    .setName("Api")
                    .addMethod(MethodDescriptorProto.newBuilder()
                            .setName("Get")
                            .setInputType(".portico.test.v1.Stamp")
                            .setOutputType(".google.protobuf.Empty")
                            .setOptions(MethodOptions.newBuilder().setIdempotencyLevel(
                                    MethodOptions.IdempotencyLevel.NO_SIDE_EFFECTS))))
            .build();

    /**
     * {@code portico/test/v1/gateway.proto}: {@code service GatewayService {
     * rpc Relay(portico.demo.v1.EchoRequest) returns (google.protobuf.Timestamp); }}, importing the demo file
     * and timestamp.proto.
     */
    static final FileDescriptorProto GATEWAY = FileDescriptorProto.newBuilder()
            .setName("portico/test/v1/gateway.proto")
            .setPackage("portico.test.v1")
            .setSyntax("proto3")
            .addDependency("portico/demo/v1/demo.proto")
            .addDependency("google/protobuf/timestamp.proto")
            .addService(ServiceDescriptorProto.newBuilder()
                    .setName("GatewayService")
                    .addMethod(MethodDescriptorProto.newBuilder()
                            .setName("Relay")
                            .setInputType(".portico.demo.v1.EchoRequest")
                            .setOutputType(".google.protobuf.Timestamp")))
            .build();

    private Schemas() {
    }

    /** {@code file} and all it imports, imports first, as {@code protoc --include_imports} writes them. */
    static List<FileDescriptorProto> withImports(FileDescriptor file) {
        final Map<String, FileDescriptorProto> ordered = new LinkedHashMap<>();
        addWithImports(file, ordered);
        return new ArrayList<>(ordered.values());
    }

    private static void addWithImports(FileDescriptor file, Map<String, FileDescriptorProto> ordered) {
        for (FileDescriptor dependency : file.getDependencies()) {
            addWithImports(dependency, ordered);
        }
        ordered.putIfAbsent(file.getName(), file.toProto());
    }

    /** Writes a FileDescriptorSet of {@code files}, in the order given. */
    static Path writeSet(Path file, List<FileDescriptorProto> files) throws IOException {
        return Files.write(file, FileDescriptorSet.newBuilder().addAllFile(files).build().toByteArray());
    }

    static SchemaSettings settings(boolean reflection, List<Path> descriptorSets) {
        return settings(reflection, Duration.ofMinutes(5), Duration.ofSeconds(30), descriptorSets);
    }

    static SchemaSettings settings(boolean reflection, Duration refresh, Duration missingRetry,
                                   List<Path> descriptorSets) {
        return new SchemaSettings(reflection, refresh, missingRetry, 1000, descriptorSets);
    }
}
