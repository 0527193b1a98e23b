package dev.portico.proxy.metrics;

import dev.portico.proxy.transport.CloseReason;
import dev.portico.proxy.transport.ConnectionEvents;
import dev.portico.proxy.transport.ConnectionVersion;
import dev.portico.proxy.transport.TimeoutKind;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Client connection metrics: {@code portico.connections.open{http_version,tls}} (gauge),
 * {@code portico.connections.accepted{http_version,tls}}, {@code portico.connections.closed{reason}},
 * {@code portico.connections.rejected{reason}}, {@code portico.accept.errors} and
 * {@code portico.timeouts{kind}} (counters; Prometheus adds {@code _total}). Every tag value comes from an
 * enum, so the series are bounded and all exist from the start. Counts are kept here, so events before
 * {@link #bindTo} are not lost. Thread-safe.
 *
 * <p>Every accepted connection is either open or counted closed (one rejected at once counts as closed
 * with its limit as the reason), so the open gauge is the difference. A connection is counted accepted
 * under its HTTP version once it shows one ({@link ConnectionVersion}); one that closes without (rejected
 * over a limit, a failed TLS handshake, nothing sent) is counted under {@code http_version="none"} when it
 * closes, and is open under {@code none} meanwhile. The listener is TLS or not as a whole, so {@code tls}
 * has one value per process.
 */
public final class ConnectionMetrics implements MeterBinder, ConnectionEvents {
    /** Shared with {@link Http2Metrics}, which counts the same meter's {@code reset_flood} reason. */
    static final String CONNECTIONS_REJECTED_HELP =
            "Client connections closed as soon as they were accepted, by reason (limits, reset floods)";

    /** The {@code http_version} of connections that never showed one. */
    private static final String NO_VERSION = "none";

    private final String tls;
    private final LongAdder accepted = new LongAdder();
    private final Map<ConnectionVersion, LongAdder> negotiated = adders(ConnectionVersion.class);
    private final Map<ConnectionVersion, LongAdder> closedByVersion = adders(ConnectionVersion.class);
    /** Connections closed (or rejected) before they showed an HTTP version. */
    private final LongAdder closedWithoutVersion = new LongAdder();
    private final LongAdder acceptErrors = new LongAdder();
    private final Map<CloseReason, LongAdder> closed = adders(CloseReason.class);
    private final Map<CloseReason, LongAdder> rejected = adders(CloseReason.class);
    private final Map<TimeoutKind, LongAdder> timeouts = adders(TimeoutKind.class);

    /** {@code tls}: whether the listener's connections are TLS. */
    public ConnectionMetrics(boolean tls) {
        this.tls = Boolean.toString(tls);
    }

    private static <E extends Enum<E>> Map<E, LongAdder> adders(Class<E> type) {
        final Map<E, LongAdder> map = new EnumMap<>(type);
        for (E constant : type.getEnumConstants()) {
            map.put(constant, new LongAdder());
        }
        return map;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (ConnectionVersion version : ConnectionVersion.values()) {
            registerByVersion(registry, version.tag(), () -> negotiated.get(version).sum()
                                                             - closedByVersion.get(version).sum(),
                              negotiated.get(version));
        }
        registerByVersion(registry, NO_VERSION, this::openWithoutVersion, closedWithoutVersion);
        FunctionCounter.builder("portico.accept.errors", acceptErrors, LongAdder::sum)
                       .description("Failures to accept a connection, such as EMFILE (too many open files)")
                       .register(registry);
        closed.forEach((reason, count) -> FunctionCounter
                .builder("portico.connections.closed", count, LongAdder::sum)
                .description("Client connections closed, by reason: timeouts, limits, other (client, errors)")
                .tag("reason", reason.tag())
                .register(registry));
        for (CloseReason reason : List.of(CloseReason.MAX_CONNECTIONS, CloseReason.MAX_CONNECTIONS_PER_IP)) {
            FunctionCounter.builder("portico.connections.rejected", rejected.get(reason), LongAdder::sum)
                           .description(CONNECTIONS_REJECTED_HELP)
                           .tag("reason", reason.tag())
                           .register(registry);
        }
        timeouts.forEach((kind, count) -> FunctionCounter.builder("portico.timeouts", count, LongAdder::sum)
                .description("Connections (or HTTP/2 streams, for request_body) ended by a timeout, by kind")
                .tag("kind", kind.tag())
                .register(registry));
    }

    private void registerByVersion(MeterRegistry registry, String version, Supplier<Number> open,
                                   LongAdder acceptedCount) {
        Gauge.builder("portico.connections.open", open)
             .description("Client connections open, by HTTP version (none: not shown yet) and TLS")
             .tags("http_version", version, "tls", tls)
             .register(registry);
        FunctionCounter.builder("portico.connections.accepted", acceptedCount, LongAdder::sum)
                       .description("Client connections accepted, by HTTP version and TLS; none: closed before "
                                    + "speaking HTTP (over a limit, failed TLS handshake), counted when closed")
                       .tags("http_version", version, "tls", tls)
                       .register(registry);
    }

    /** Accepted connections, open, that have not shown their HTTP version yet. */
    private long openWithoutVersion() {
        long open = accepted.sum() - closedWithoutVersion.sum();
        for (LongAdder count : negotiated.values()) {
            open -= count.sum();
        }
        return open;
    }

    @Override
    public void accepted() {
        accepted.increment();
    }

    @Override
    public void rejected(CloseReason reason) {
        rejected.get(reason).increment();
        closed.get(reason).increment();
        closedWithoutVersion.increment();
    }

    @Override
    public void negotiated(ConnectionVersion version) {
        negotiated.get(version).increment();
    }

    @Override
    public void closed(CloseReason reason, ConnectionVersion version) {
        closed.get(reason).increment();
        if (version == null) {
            closedWithoutVersion.increment();
        } else {
            closedByVersion.get(version).increment();
        }
    }

    @Override
    public void acceptFailed() {
        acceptErrors.increment();
    }

    @Override
    public void timedOut(TimeoutKind kind) {
        timeouts.get(kind).increment();
    }
}
