package dev.portico.config;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * Tracing with OpenTelemetry ({@code portico.tracing}): spans exported over OTLP.
 *
 * @param enabled whether Portico takes part in traces; when false, {@code traceparent} passes through untouched
 * @param endpoint the OTLP collector, {@code http://host:port} (or {@code https://})
 * @param protocol how spans are exported
 * @param samplingRatio the share of traces started by Portico that are recorded, 0 to 1; a call that comes
 *                      with a {@code traceparent} follows its caller's decision
 * @param serviceName the {@code service.name} resource attribute
 * @param resourceAttributes further resource attributes ({@code deployment.environment.name}, ...)
 * @param maxQueueSize spans waiting for export, at most; more are dropped
 * @param exportTimeout how long one export may take
 */
public record TracingSettings(boolean enabled, URI endpoint, Protocol protocol, double samplingRatio,
                              String serviceName, Map<String, String> resourceAttributes, int maxQueueSize,
                              Duration exportTimeout) {

    /** The OTLP transport. */
    public enum Protocol {
        /** OTLP/gRPC (the collector's port 4317). */
        GRPC
    }

    public TracingSettings {
        requireNonNull(endpoint, "endpoint");
        requireNonNull(protocol, "protocol");
        requireNonNull(serviceName, "serviceName");
        resourceAttributes = Map.copyOf(resourceAttributes);
        requireNonNull(exportTimeout, "exportTimeout");
        if (!(samplingRatio >= 0 && samplingRatio <= 1)) {
            throw new IllegalArgumentException("samplingRatio must be between 0 and 1, got " + samplingRatio);
        }
    }
}
