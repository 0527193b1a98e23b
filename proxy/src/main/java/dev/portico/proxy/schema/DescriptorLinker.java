package dev.portico.proxy.schema;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Links {@link FileDescriptorProto}s into {@link FileDescriptor}s, each after its imports, whatever order the
 * protos came in. An import that is not among the protos is taken from {@link BundledDescriptors} when it is
 * one of those files (descriptor sets built without {@code --include_imports} often leave out
 * {@code google/protobuf/*.proto}); any other missing import is an error.
 *
 * <p>Stateless. Linking is CPU work proportional to the size of the files; call it off event loops.
 */
final class DescriptorLinker {

    private DescriptorLinker() {
    }

    /**
     * Links every proto in {@code protos} (keyed by file name).
     *
     * @return the linked files by name: those of {@code protos}, plus the bundled files that stood in for
     *         missing imports
     * @throws SchemaException naming the file that cannot be linked and why
     */
    static Map<String, FileDescriptor> link(Map<String, FileDescriptorProto> protos) throws SchemaException {
        final Map<String, FileDescriptor> linked = new LinkedHashMap<>();
        for (String name : protos.keySet()) {
            link(name, null, protos, linked, new LinkedHashSet<>());
        }
        return linked;
    }

    private static FileDescriptor link(String name, String importedBy, Map<String, FileDescriptorProto> protos,
                                       Map<String, FileDescriptor> linked, Set<String> importChain)
            throws SchemaException {
        final FileDescriptor done = linked.get(name);
        if (done != null) {
            return done;
        }
        final FileDescriptorProto proto = protos.get(name);
        if (proto == null) {
            final FileDescriptor bundled = BundledDescriptors.file(name).orElseThrow(() -> new SchemaException(
                    importedBy + " imports " + name + ", which is missing"));
            linked.put(name, bundled);
            return bundled;
        }
        // Import chains are short; recursion depth is the depth of the import graph.
        if (!importChain.add(name)) {
            throw new SchemaException("import cycle: " + String.join(" -> ", importChain) + " -> " + name);
        }
        final FileDescriptor[] imports = new FileDescriptor[proto.getDependencyCount()];
        for (int i = 0; i < imports.length; i++) {
            imports[i] = link(proto.getDependency(i), name, protos, linked, importChain);
        }
        importChain.remove(name);
        final FileDescriptor file;
        try {
            file = FileDescriptor.buildFrom(proto, imports);
        } catch (DescriptorValidationException e) {
            throw new SchemaException(name + " is not a valid schema: " + e.getMessage(), e);
        }
        linked.put(name, file);
        return file;
    }
}
