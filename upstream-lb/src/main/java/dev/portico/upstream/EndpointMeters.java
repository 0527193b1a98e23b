package dev.portico.upstream;

import static java.util.Objects.requireNonNull;

import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * One endpoint's counters, tagged {@code cluster} and {@code endpoint}: {@code portico.upstream.picks},
 * {@code portico.upstream.calls{code}}, {@code portico.upstream.health.checks{result}},
 * {@code portico.upstream.endpoint.state.changes{state}} and {@code portico.upstream.ejections} (Prometheus
 * adds {@code _total}). They are registered when the endpoint joins its cluster and removed when it leaves
 * ({@link #remove}), so the number of series follows the endpoints of the moment, not every address DNS ever
 * returned. A code, result or state gets its series at its first occurrence.
 *
 * <p>Thread-safe: counted from every event loop, the health thread and the control thread. Increments after
 * {@link #remove} (calls still finishing on an endpoint that left) go to meters no longer registered.
 */
final class EndpointMeters {
    private static final Status.Code[] CODES = Status.Code.values();

    private final MeterRegistry registry;
    private final Tags tags;
    private final Counter picks;
    private final Counter ejections;
    private final AtomicReferenceArray<Counter> calls = new AtomicReferenceArray<>(CODES.length);
    private final AtomicReferenceArray<Counter> checks =
            new AtomicReferenceArray<>(HealthCheckResult.values().length);
    private final AtomicReferenceArray<Counter> stateChanges =
            new AtomicReferenceArray<>(EndpointState.values().length);
    /** Every meter registered for the endpoint. Guarded by {@code this}, as is {@link #removed}. */
    private final List<Meter> registered = new ArrayList<>();
    private boolean removed;

    EndpointMeters(MeterRegistry registry, String cluster, Endpoint endpoint) {
        this.registry = requireNonNull(registry, "registry");
        this.tags = Tags.of("cluster", cluster, "endpoint", endpoint.toString());
        this.picks = register(Counter.builder("portico.upstream.picks")
                .description("Call attempts started on an upstream endpoint (its picks), retries included"));
        this.ejections = register(Counter.builder("portico.upstream.ejections")
                .description("Times an upstream endpoint was ejected for consecutive failed calls"));
    }

    /** A call attempt on the endpoint started. */
    void callStarted() {
        picks.increment();
    }

    /** A call attempt on the endpoint ended with {@code code}. */
    void callClosed(Status.Code code) {
        increment(calls, code.ordinal(), "portico.upstream.calls",
                  "Call attempts on an upstream endpoint, by the gRPC code they ended with", "code",
                  code.name());
    }

    void healthChecked(HealthCheckResult result) {
        increment(checks, result.ordinal(), "portico.upstream.health.checks",
                  "Health checks of an upstream endpoint, by result", "result", result.tag());
    }

    /** The endpoint's published state became {@code state}. */
    void stateChanged(EndpointState state) {
        increment(stateChanges, state.ordinal(), "portico.upstream.endpoint.state.changes",
                  "Changes of an upstream endpoint's state, by the state it entered", "state", state.tag());
    }

    void ejected() {
        ejections.increment();
    }

    /** The endpoint left: its series go, and no new one appears. Idempotent. */
    synchronized void remove() {
        removed = true;
        for (Meter meter : registered) {
            registry.remove(meter);
        }
        registered.clear();
    }

    private void increment(AtomicReferenceArray<Counter> slots, int index, String name, String description,
                           String tag, String value) {
        Counter counter = slots.get(index);
        if (counter == null) {
            counter = registerSlot(slots, index,
                                   Counter.builder(name).description(description).tag(tag, value));
        }
        if (counter != null) {
            counter.increment();
        }
    }

    /**
     * Registers a slot's counter once; null after {@link #remove}: registering then would hand back the
     * counter of the same name of an endpoint with the same address that joined since.
     */
    private synchronized Counter registerSlot(AtomicReferenceArray<Counter> slots, int index,
                                              Counter.Builder builder) {
        if (removed) {
            return null;
        }
        Counter counter = slots.get(index);
        if (counter == null) {
            counter = register(builder);
            slots.set(index, counter);
        }
        return counter;
    }

    /** Called before {@link #remove} can run (constructor) or under the lock with {@code removed} false. */
    private Counter register(Counter.Builder builder) {
        final Counter counter = builder.tags(tags).register(registry);
        registered.add(counter);
        return counter;
    }
}
