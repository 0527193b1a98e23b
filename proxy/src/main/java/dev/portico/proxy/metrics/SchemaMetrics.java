package dev.portico.proxy.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code portico.schema.lookups{result}}: the method-schema lookups of calls, by outcome: {@code hit} (the
 * schema was found, in a descriptor set or by reflection, cached or fetched), {@code miss} (no schema: no
 * file has the service and reflection is off or the upstream does not describe it, or the method is not in
 * it) and {@code failure} (reflection failed: unreachable upstream, deadline). Counts are kept here, so none
 * is lost before {@link #bindTo}. Thread-safe.
 */
public final class SchemaMetrics implements MeterBinder {
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder failures = new LongAdder();

    @Override
    public void bindTo(MeterRegistry registry) {
        register(registry, "hit", hits);
        register(registry, "miss", misses);
        register(registry, "failure", failures);
    }

    private static void register(MeterRegistry registry, String result, LongAdder count) {
        FunctionCounter.builder("portico.schema.lookups", count, LongAdder::sum)
                       .description("Method schema lookups of calls, by result: hit, miss (no schema), failure "
                                    + "(reflection failed)")
                       .tag("result", result)
                       .register(registry);
    }

    /** A lookup found the schema ({@code found}), or found that there is none. */
    public void lookedUp(boolean found) {
        (found ? hits : misses).increment();
    }

    /** A lookup could not tell: asking the upstream failed. */
    public void failed() {
        failures.increment();
    }
}
