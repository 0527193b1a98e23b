package dev.portico.proxy.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.concurrent.atomic.LongAdder;

/**
 * CORS: {@code portico.cors.preflights} (preflights Portico answered, granted or refused) and
 * {@code portico.cors.rejected} (requests, preflights included, from an origin the policy does not allow).
 * Counts are kept here, so none is lost before {@link #bindTo}. Thread-safe.
 */
public final class CorsMetrics implements MeterBinder {
    private final LongAdder preflights = new LongAdder();
    private final LongAdder rejected = new LongAdder();

    @Override
    public void bindTo(MeterRegistry registry) {
        FunctionCounter.builder("portico.cors.preflights", preflights, LongAdder::sum)
                       .description("CORS preflight requests answered, granted or refused")
                       .register(registry);
        FunctionCounter.builder("portico.cors.rejected", rejected, LongAdder::sum)
                       .description("Requests (preflights included) from an origin the CORS policy does not "
                                    + "allow: refused, or answered without a grant")
                       .register(registry);
    }

    public void preflight() {
        preflights.increment();
    }

    public void rejected() {
        rejected.increment();
    }
}
