package dev.portico.proxy.schema;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@code FileDescriptorSet} files ({@code buf build -o}, {@code protoc --include_imports
 * --descriptor_set_out}) and links each one on its own: a set must hold the imports of its files, except the
 * bundled ones ({@link BundledDescriptors}).
 *
 * <p>Stateless; called once, at start-up.
 */
final class DescriptorSetFiles {
    private static final Logger log = LoggerFactory.getLogger(DescriptorSetFiles.class);

    private static final String HOW_TO_BUILD =
            "build one with `buf build -o FILE.binpb` or `protoc --include_imports --descriptor_set_out=FILE`";

    /**
     * What the files hold.
     *
     * @param services every service by full name ({@code package.Service}); the first file that has it wins
     * @param files    every linked file of every set
     */
    record Contents(Map<String, ServiceDescriptor> services, List<FileDescriptor> files) {
    }

    private DescriptorSetFiles() {
    }

    /**
     * Reads and links {@code paths}, in order.
     *
     * @throws SchemaException naming the file that cannot be read, parsed or linked
     */
    static Contents read(List<Path> paths) throws SchemaException {
        final Map<String, ServiceDescriptor> services = new LinkedHashMap<>();
        final Map<String, Path> serviceSources = new LinkedHashMap<>();
        final List<FileDescriptor> files = new ArrayList<>();
        for (Path path : paths) {
            final Map<String, FileDescriptorProto> protos = protos(path);
            final Map<String, FileDescriptor> linked;
            try {
                linked = DescriptorLinker.link(protos);
            } catch (SchemaException e) {
                throw new SchemaException("descriptor set " + path + ": " + e.getMessage(), e);
            }
            for (FileDescriptor file : linked.values()) {
                files.add(file);
                for (ServiceDescriptor service : file.getServices()) {
                    final Path first = serviceSources.putIfAbsent(service.getFullName(), path);
                    if (first == null) {
                        services.put(service.getFullName(), service);
                    } else if (!first.equals(path)) {
                        log.warn("service {} is in descriptor sets {} and {}; using the one in {}",
                                 service.getFullName(), first, path, first);
                    }
                }
            }
        }
        // Logged once every set is linked, so that a failed start-up does not list services it never served.
        serviceSources.forEach((service, path) -> log.info("schema of service {} learnt from descriptor set {}",
                                                            service, path));
        return new Contents(Collections.unmodifiableMap(services), List.copyOf(files));
    }

    /** The file's protos by name, in the set's order. */
    private static Map<String, FileDescriptorProto> protos(Path path) throws SchemaException {
        final byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new SchemaException("cannot read descriptor set " + path + ": " + e, e);
        }
        final FileDescriptorSet set;
        try {
            set = FileDescriptorSet.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new SchemaException("descriptor set " + path + " is not a FileDescriptorSet ("
                                      + e.getMessage() + "); " + HOW_TO_BUILD, e);
        }
        // FileDescriptorSet has one field; anything else parsed means the bytes are something else that happens
        // to be valid protobuf wire format.
        if (!set.getUnknownFields().asMap().isEmpty() || set.getFileCount() == 0) {
            throw new SchemaException("descriptor set " + path + " is empty or not a FileDescriptorSet; "
                                      + HOW_TO_BUILD);
        }
        final Map<String, FileDescriptorProto> protos = new LinkedHashMap<>();
        for (FileDescriptorProto proto : set.getFileList()) {
            if (protos.putIfAbsent(proto.getName(), proto) != null) {
                throw new SchemaException("descriptor set " + path + " has " + proto.getName() + " twice");
            }
        }
        return protos;
    }
}
