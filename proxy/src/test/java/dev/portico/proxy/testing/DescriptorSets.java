package dev.portico.proxy.testing;

import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.FileDescriptor;
import java.util.LinkedHashSet;
import java.util.Set;

/** Descriptor-set files as {@code protoc --include_imports --descriptor_set_out} writes them. */
public final class DescriptorSets {
    private DescriptorSets() {}

    /** The file and its imports, dependencies first. */
    public static FileDescriptorSet withImports(FileDescriptor file) {
        final Set<FileDescriptor> ordered = new LinkedHashSet<>();
        addWithImports(file, ordered);
        final FileDescriptorSet.Builder set = FileDescriptorSet.newBuilder();
        ordered.forEach(f -> set.addFile(f.toProto()));
        return set.build();
    }

    private static void addWithImports(FileDescriptor file, Set<FileDescriptor> ordered) {
        for (FileDescriptor dependency : file.getDependencies()) {
            addWithImports(dependency, ordered);
        }
        ordered.add(file);
    }
}
