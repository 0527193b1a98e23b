package dev.portico.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;

/**
 * What the Prometheus metrics on the admin listener record ({@code portico.metrics}).
 *
 * @param latencyBuckets the upper bounds of the call-latency histogram buckets, positive and strictly
 *                       increasing (Prometheus adds {@code +Inf})
 * @param maxMethods     how many distinct methods get their own {@code method} tag; later ones share
 *                       {@code "other"}, so that invented method names cannot grow the series without bound
 */
public record MetricsSettings(List<Duration> latencyBuckets, int maxMethods) {

    public MetricsSettings {
        latencyBuckets = List.copyOf(requireNonNull(latencyBuckets, "latencyBuckets"));
        if (latencyBuckets.isEmpty()) {
            throw new IllegalArgumentException("latencyBuckets must not be empty");
        }
        if (maxMethods < 1) {
            throw new IllegalArgumentException("maxMethods: " + maxMethods + " (expected >= 1)");
        }
    }
}
