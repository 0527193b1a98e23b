package dev.portico.proxy.call;

import static java.util.Objects.requireNonNull;

import dev.portico.config.CompressionSettings;
import dev.portico.config.ConnectSettings;
import dev.portico.config.DeadlineSettings;
import dev.portico.config.ErrorSettings;
import dev.portico.config.LimitSettings;
import dev.portico.config.TimeoutSettings;
import dev.portico.proxy.metrics.ProxyMetrics;
import dev.portico.proxy.protocol.ProtocolDetector;
import dev.portico.proxy.schema.SchemaRegistry;
import dev.portico.proxy.transport.ConnectionEvents;
import dev.portico.upstream.UpstreamPool;

/**
 * What every call on a Portico server shares: where calls go, their limits, schemas, metrics and the set
 * of calls in flight.
 */
public record ProxyRuntime(UpstreamPool upstream, MethodDescriptors methods, ProtocolDetector protocols,
                           SchemaRegistry schemas, LimitSettings limits, DeadlineSettings deadlines,
                           ConnectSettings connect, CompressionSettings compression, ErrorSettings errors,
                           ProxyMetrics metrics, ActiveCalls activeCalls, TimeoutSettings timeouts,
                           ConnectionEvents connectionEvents) {
    public ProxyRuntime {
        requireNonNull(upstream, "upstream");
        requireNonNull(methods, "methods");
        requireNonNull(protocols, "protocols");
        requireNonNull(schemas, "schemas");
        requireNonNull(limits, "limits");
        requireNonNull(deadlines, "deadlines");
        requireNonNull(connect, "connect");
        requireNonNull(compression, "compression");
        requireNonNull(errors, "errors");
        requireNonNull(metrics, "metrics");
        requireNonNull(activeCalls, "activeCalls");
        requireNonNull(timeouts, "timeouts");
        requireNonNull(connectionEvents, "connectionEvents");
    }

    /**
     * The deadline a call gets, in nanoseconds, or {@code -1} for none: the client's own timeout unless the
     * configuration ignores it, else the configured default; never more than the configured maximum.
     */
    long effectiveTimeoutNanos(long clientTimeoutNanos) {
        long timeout = deadlines.ignoreClientTimeout() ? -1 : clientTimeoutNanos;
        if (timeout < 0 && !deadlines.defaultTimeout().isZero()) {
            timeout = deadlines.defaultTimeout().toNanos();
        }
        final long max = deadlines.max().toNanos();
        if (max > 0 && (timeout < 0 || timeout > max)) {
            timeout = max;
        }
        return timeout;
    }
}
