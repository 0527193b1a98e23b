package dev.portico.proxy.metrics;

import dev.portico.proxy.transport.CloseReason;
import dev.portico.proxy.transport.ConnectionEvents;
import dev.portico.proxy.transport.TimeoutKind;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Client connection metrics: {@code portico.connections.open} (gauge), {@code portico.connections.accepted},
 * {@code portico.connections.closed{reason}}, {@code portico.connections.rejected{reason}},
 * {@code portico.accept.errors} and {@code portico.timeouts{kind}} (counters; Prometheus adds
 * {@code _total}). Every tag value comes from an enum, so the series are bounded and all exist from the
 * start. Counts are kept here, so events before {@link #bindTo} are not lost. Thread-safe.
 *
 * <p>Every accepted connection is either open or counted closed (one rejected at once counts as closed
 * with its limit as the reason), so the open gauge is the difference.
 */
public final class ConnectionMetrics implements MeterBinder, ConnectionEvents {
    /** Shared with {@link Http2Metrics}, which counts the same meter's {@code reset_flood} reason. */
    static final String CONNECTIONS_REJECTED_HELP =
            "Client connections closed as soon as they were accepted, by reason (limits, reset floods)";

    private final LongAdder accepted = new LongAdder();
    private final LongAdder acceptErrors = new LongAdder();
    private final Map<CloseReason, LongAdder> closed = adders(CloseReason.class);
    private final Map<CloseReason, LongAdder> rejected = adders(CloseReason.class);
    private final Map<TimeoutKind, LongAdder> timeouts = adders(TimeoutKind.class);

    private static <E extends Enum<E>> Map<E, LongAdder> adders(Class<E> type) {
        final Map<E, LongAdder> map = new EnumMap<>(type);
        for (E constant : type.getEnumConstants()) {
            map.put(constant, new LongAdder());
        }
        return map;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("portico.connections.open", this, ConnectionMetrics::open)
             .description("Client connections open")
             .register(registry);
        FunctionCounter.builder("portico.connections.accepted", accepted, LongAdder::sum)
                       .description("Client connections accepted, including those closed at once over a limit")
                       .register(registry);
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

    /** Client connections accepted and not yet closed. */
    public long open() {
        long open = accepted.sum();
        for (LongAdder count : closed.values()) {
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
    }

    @Override
    public void closed(CloseReason reason) {
        closed.get(reason).increment();
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
