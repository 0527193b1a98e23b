package dev.portico.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Where Portico learns the protobuf schemas of upstream services ({@code portico.schema}). Binary calls never
 * need a schema; JSON transcoding, Connect GET and the {@code debug} JSON of error details do.
 *
 * @param reflection           ask upstreams with gRPC server reflection ({@code grpc.reflection.v1}, then
 *                             {@code v1alpha}) when no descriptor-set file has the service
 * @param refreshInterval      positive; a schema learnt by reflection is fetched again after this long
 * @param missingRetryInterval positive; how long "no schema for this service" is remembered
 * @param maxServices          positive bound on the service schemas learnt by reflection and kept in memory
 * @param descriptorSets       {@code FileDescriptorSet} files, tried before reflection; each was a readable file
 *                             at load time (its content is checked when the proxy links it)
 */
public record SchemaSettings(boolean reflection, Duration refreshInterval, Duration missingRetryInterval,
                             int maxServices, List<Path> descriptorSets) {

    public SchemaSettings {
        requireNonNull(refreshInterval, "refreshInterval");
        requireNonNull(missingRetryInterval, "missingRetryInterval");
        descriptorSets = List.copyOf(descriptorSets);
    }
}
