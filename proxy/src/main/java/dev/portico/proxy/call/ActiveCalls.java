package dev.portico.proxy.call;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The calls in flight across the process: admission up to {@code limits.max-calls-in-flight} (a call over
 * it is shed before any upstream work), and the set shutdown ends with a status when the grace period is
 * over. Thread-safe: calls of every event loop register here.
 */
public final class ActiveCalls implements MeterBinder {
    private final int max;
    private final AtomicInteger count = new AtomicInteger();
    private final Set<ProxyCall> calls = ConcurrentHashMap.newKeySet();
    /** Shutdown ended the calls in flight: no more are admitted. */
    private volatile boolean closed;

    public ActiveCalls(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max: " + max + " (expected >= 1)");
        }
        this.max = max;
    }

    /** Reserves a place for a call about to start; false when the process already has its limit. */
    boolean tryReserve() {
        if (closed) {
            return false;
        }
        if (count.incrementAndGet() > max) {
            count.decrementAndGet();
            return false;
        }
        return true;
    }

    /** The reserved place is taken by {@code call}. */
    void add(ProxyCall call) {
        calls.add(call);
    }

    /** {@code call} ended (or never started after {@link #tryReserve}, with null): its place is free again. */
    void release(ProxyCall call) {
        if (call == null || calls.remove(call)) {
            count.decrementAndGet();
        }
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("portico.calls.active", count, AtomicInteger::get)
             .description("Calls in flight through Portico")
             .register(registry);
    }

    public int size() {
        return count.get();
    }

    /** Whether shutdown has ended the calls in flight (no more are admitted). */
    boolean isClosed() {
        return closed;
    }

    public int max() {
        return max;
    }

    /**
     * Ends every call still in flight with UNAVAILABLE, each on its own event loop, and admits no more (they
     * are shed with UNAVAILABLE): what shutdown does once the grace period is over, so that no call is cut
     * without a status.
     */
    public void endAll(String reason) {
        closed = true;
        for (ProxyCall call : calls) {
            call.executor().execute(() -> call.abort(reason));
        }
    }
}
