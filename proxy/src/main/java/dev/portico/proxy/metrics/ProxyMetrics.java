package dev.portico.proxy.metrics;

import dev.portico.proxy.wire.RpcCode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Call metrics, tagged with gRPC semantics rather than HTTP ones: {@code portico.requests} and
 * {@code portico.request.duration} by protocol, method and gRPC code, and {@code portico.calls.active}.
 * Thread-safe.
 */
public final class ProxyMetrics implements MeterBinder {
    private final MethodTagger methods;
    private final AtomicInteger active = new AtomicInteger();
    private volatile MeterRegistry registry;

    public ProxyMetrics(MethodTagger methods) {
        this.methods = methods;
    }

    @Override
    public void bindTo(MeterRegistry meterRegistry) {
        Gauge.builder("portico.calls.active", active, AtomicInteger::get)
             .description("Calls in flight through Portico")
             .register(meterRegistry);
        this.registry = meterRegistry;
    }

    /** Calls started and not yet ended. */
    public int activeCalls() {
        return active.get();
    }

    /** Records the start of a call; returns the start time to give to {@link #callEnded}. */
    public long callStarted() {
        active.incrementAndGet();
        return System.nanoTime();
    }

    /** Records a call's end; called exactly once for each {@link #callStarted}. */
    public void callEnded(String protocol, String fullMethodName, RpcCode code, long startNanos) {
        active.decrementAndGet();
        rejected(protocol, fullMethodName, code, System.nanoTime() - startNanos);
    }

    /** Records a request Portico answered itself without starting a call. */
    public void rejected(String protocol, String fullMethodName, RpcCode code) {
        rejected(protocol, fullMethodName, code, 0);
    }

    private void rejected(String protocol, String fullMethodName, RpcCode code, long durationNanos) {
        final MeterRegistry meters = registry;
        if (meters == null) {
            return;
        }
        final String method = methods.tag(fullMethodName);
        final String codeName = code.name();
        Counter.builder("portico.requests")
               .description("Calls through Portico, by protocol, method and gRPC status code")
               .tags("protocol", protocol, "method", method, "code", codeName)
               .register(meters)
               .increment();
        Timer.builder("portico.request.duration")
             .description("Time from a call's request head to its last response byte written")
             .tags("protocol", protocol, "code", codeName)
             .register(meters)
             .record(durationNanos, TimeUnit.NANOSECONDS);
    }
}
