package dev.portico.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;

/**
 * The native gRPC servers behind the gateway ({@code portico.upstream}).
 *
 * @param endpoints      servers to balance over; empty means Portico runs its in-process demo backend
 * @param plaintext      true for h2c to the upstream, false for TLS with the JVM's default trust store
 * @param connectTimeout positive
 * @param keepAliveTime  positive interval between HTTP/2 PINGs on idle upstream connections
 */
public record UpstreamSettings(List<HostAndPort> endpoints, boolean plaintext, Duration connectTimeout,
                               Duration keepAliveTime) {

    public UpstreamSettings {
        endpoints = List.copyOf(endpoints);
        requireNonNull(connectTimeout, "connectTimeout");
        requireNonNull(keepAliveTime, "keepAliveTime");
    }
}
