package dev.portico.proxy.metrics;

import dev.portico.proxy.wire.RpcCode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Call metrics, tagged with gRPC semantics rather than HTTP ones: {@code portico.requests} and
 * {@code portico.request.duration} by protocol, method and gRPC code, and the calls shed. (The calls in
 * flight are ActiveCalls' to count.)
 * Thread-safe.
 */
public final class ProxyMetrics implements MeterBinder {
    private final MethodTagger methods;
    private final Map<Tags, CallMeters> byTags = new ConcurrentHashMap<>();
    private final Map<String, Counter> shedByProtocol = new ConcurrentHashMap<>();
    private volatile MeterRegistry registry;

    public ProxyMetrics(MethodTagger methods) {
        this.methods = methods;
    }

    @Override
    public void bindTo(MeterRegistry meterRegistry) {
        this.registry = meterRegistry;
    }

    /** Records the start of a call; returns the start time to give to {@link #callEnded}. */
    public long callStarted() {
        return System.nanoTime();
    }

    /** Records a call's end; called exactly once for each {@link #callStarted}. */
    public void callEnded(String protocol, String fullMethodName, RpcCode code, long startNanos) {
        record(protocol, fullMethodName, code, System.nanoTime() - startNanos);
    }

    /**
     * Records a call shed because the process had {@code limits.max-calls-in-flight} calls already; the
     * caller also records it as {@link #rejected}.
     */
    public void shed(String protocol) {
        final MeterRegistry meters = registry;
        if (meters != null) {
            shedByProtocol.computeIfAbsent(protocol, p -> Counter.builder("portico.calls.shed")
                    .description("Calls answered UNAVAILABLE at once because limits.max-calls-in-flight "
                                 + "calls were in flight")
                    .tags("protocol", p)
                    .register(meters)).increment();
        }
    }

    /** Records a request Portico answered itself without starting a call. */
    public void rejected(String protocol, String fullMethodName, RpcCode code) {
        record(protocol, fullMethodName, code, 0);
    }

    private void record(String protocol, String fullMethodName, RpcCode code, long durationNanos) {
        final MeterRegistry meters = registry;
        if (meters == null) {
            return;
        }
        // Looked up once per tag combination: building and registering a meter per call is costly.
        final CallMeters callMeters = byTags.computeIfAbsent(
                new Tags(protocol, methods.tag(fullMethodName), code), tags -> tags.register(meters));
        callMeters.requests().increment();
        callMeters.duration().record(durationNanos, TimeUnit.NANOSECONDS);
    }

    /** The tags of one call's meters; bounded, because the method tag is. */
    private record Tags(String protocol, String method, RpcCode code) {
        CallMeters register(MeterRegistry meters) {
            return new CallMeters(
                    Counter.builder("portico.requests")
                           .description("Calls through Portico, by protocol, method and gRPC status code")
                           .tags("protocol", protocol, "method", method, "code", code.name())
                           .register(meters),
                    Timer.builder("portico.request.duration")
                         .description("Time from a call's request head to its last response byte written")
                         .tags("protocol", protocol, "code", code.name())
                         .register(meters));
        }
    }

    private record CallMeters(Counter requests, Timer duration) {}
}
