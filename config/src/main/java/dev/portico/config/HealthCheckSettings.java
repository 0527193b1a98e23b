package dev.portico.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Active health checks of a cluster's endpoints with the standard {@code grpc.health.v1.Health} protocol
 * ({@code portico.upstream.health-check}).
 *
 * @param enabled            false: every connected endpoint counts as healthy
 * @param mode               Watch where supported, or Check only
 * @param service            the service name sent in {@code HealthCheckRequest}; empty asks about the whole
 *                           server
 * @param interval           positive; between Check calls, and before a broken Watch is opened again
 * @param timeout            positive; how long a Check call, or the first answer of a Watch, may take
 * @param healthyThreshold   1 or more consecutive successful checks that make an unhealthy endpoint healthy
 * @param unhealthyThreshold 1 or more consecutive failed checks that make a healthy endpoint unhealthy
 * @param unimplemented      what an endpoint without the health service counts as
 */
public record HealthCheckSettings(boolean enabled, HealthCheckMode mode, String service, Duration interval,
                                  Duration timeout, int healthyThreshold, int unhealthyThreshold,
                                  UnimplementedHealthRule unimplemented) {

    public HealthCheckSettings {
        requireNonNull(mode, "mode");
        requireNonNull(service, "service");
        requireNonNull(interval, "interval");
        requireNonNull(timeout, "timeout");
        requireNonNull(unimplemented, "unimplemented");
        if (healthyThreshold < 1 || unhealthyThreshold < 1) {
            throw new IllegalArgumentException("thresholds must be at least 1");
        }
    }
}
