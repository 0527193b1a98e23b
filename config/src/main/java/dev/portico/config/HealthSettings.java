package dev.portico.config;

/**
 * Portico's own health, as probes and load balancers in front of it see it ({@code portico.health}).
 *
 * @param grpcHealthService true: Portico answers {@code grpc.health.v1.Health} on its listener itself;
 *                          false: such calls are proxied upstream like any other
 */
public record HealthSettings(boolean grpcHealthService) {
}
