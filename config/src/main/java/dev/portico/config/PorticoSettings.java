package dev.portico.config;

import static java.util.Objects.requireNonNull;

/**
 * Everything Portico reads from its configuration, validated and immutable. Built once at start-up by
 * {@link PorticoConfig}; safe to share between threads.
 *
 * <p>{@code upstream} holds the top-level {@code portico.upstream} keys as written; {@code upstreamPool} is
 * what the upstream pool is built from: every cluster, with the shared keys inherited.
 */
public record PorticoSettings(ListenSettings listen, TlsSettings tls, UpstreamSettings upstream,
                              CorsSettings cors, LimitSettings limits, DeadlineSettings deadlines,
                              FlowControlSettings flowControl, AdminSettings admin, SchemaSettings schema,
                              ConnectSettings connect, CompressionSettings compression,
                              UpstreamPoolSettings upstreamPool, HealthSettings health,
                              ErrorSettings errors, DemoSettings demo, MetricsSettings metrics,
                              AccessLogSettings accessLog, TracingSettings tracing, WebSocketSettings websocket) {

    public PorticoSettings {
        requireNonNull(listen, "listen");
        requireNonNull(tls, "tls");
        requireNonNull(upstream, "upstream");
        requireNonNull(cors, "cors");
        requireNonNull(limits, "limits");
        requireNonNull(deadlines, "deadlines");
        requireNonNull(flowControl, "flowControl");
        requireNonNull(admin, "admin");
        requireNonNull(schema, "schema");
        requireNonNull(connect, "connect");
        requireNonNull(compression, "compression");
        requireNonNull(upstreamPool, "upstreamPool");
        requireNonNull(health, "health");
        requireNonNull(errors, "errors");
        requireNonNull(demo, "demo");
        requireNonNull(metrics, "metrics");
        requireNonNull(accessLog, "accessLog");
        requireNonNull(tracing, "tracing");
        requireNonNull(websocket, "websocket");
    }
}
