package dev.portico.proxy.schema;

import com.google.protobuf.AnyProto;
import com.google.protobuf.ApiProto;
import com.google.protobuf.DescriptorProtos;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DurationProto;
import com.google.protobuf.EmptyProto;
import com.google.protobuf.FieldMaskProto;
import com.google.protobuf.SourceContextProto;
import com.google.protobuf.StructProto;
import com.google.protobuf.TimestampProto;
import com.google.protobuf.TypeProto;
import com.google.protobuf.WrappersProto;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code .proto} files whose generated descriptors are on Portico's class path: protobuf's well-known
 * types ({@code google/protobuf/*.proto}, from protobuf-java), the {@code google.rpc} status and error details
 * and the common {@code google.api} annotations (from proto-google-common-protos). They stand in for imports a
 * descriptor set or a reflection answer leaves out, and they are always among the known types.
 *
 * <p>Immutable; safe to use from any thread.
 */
final class BundledDescriptors {

    /** By file name ({@code google/protobuf/any.proto}), with every file's imports included. */
    private static final Map<String, FileDescriptor> FILES = withImports(List.of(
            AnyProto.getDescriptor(), ApiProto.getDescriptor(), DescriptorProtos.getDescriptor(),
            DurationProto.getDescriptor(), EmptyProto.getDescriptor(), FieldMaskProto.getDescriptor(),
            SourceContextProto.getDescriptor(), StructProto.getDescriptor(), TimestampProto.getDescriptor(),
            TypeProto.getDescriptor(), WrappersProto.getDescriptor(),
            com.google.rpc.StatusProto.getDescriptor(), com.google.rpc.ErrorDetailsProto.getDescriptor(),
            com.google.rpc.CodeProto.getDescriptor(),
            com.google.api.AnnotationsProto.getDescriptor(), com.google.api.HttpProto.getDescriptor(),
            com.google.api.HttpBodyProto.getDescriptor(), com.google.api.FieldBehaviorProto.getDescriptor(),
            com.google.api.ClientProto.getDescriptor(), com.google.api.ResourceProto.getDescriptor()));

    private BundledDescriptors() {
    }

    /** The bundled file of this name, if there is one. */
    static Optional<FileDescriptor> file(String name) {
        return Optional.ofNullable(FILES.get(name));
    }

    static boolean contains(String name) {
        return FILES.containsKey(name);
    }

    /** Every bundled file. */
    static Collection<FileDescriptor> all() {
        return FILES.values();
    }

    private static Map<String, FileDescriptor> withImports(List<FileDescriptor> roots) {
        final Map<String, FileDescriptor> files = new LinkedHashMap<>();
        final Deque<FileDescriptor> pending = new ArrayDeque<>(roots);
        while (!pending.isEmpty()) {
            final FileDescriptor file = pending.pop();
            if (!files.containsKey(file.getName())) {
                files.put(file.getName(), file);
                pending.addAll(file.getDependencies());
            }
        }
        return Collections.unmodifiableMap(files);
    }
}
