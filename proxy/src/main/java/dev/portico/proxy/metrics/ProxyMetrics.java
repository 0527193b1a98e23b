package dev.portico.proxy.metrics;

import static java.util.Objects.requireNonNull;

import dev.portico.config.MetricsSettings;
import dev.portico.proxy.wire.RpcCode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Call metrics, tagged with gRPC semantics rather than HTTP ones, by protocol and method (capped by
 * {@link MethodTagger}): {@code portico.requests} and the {@code portico.request.duration} histogram also by
 * gRPC code; {@code portico.response.first.byte} (histogram), {@code portico.request.messages},
 * {@code portico.response.messages}, {@code portico.request.bytes} and {@code portico.response.bytes}; and
 * the calls shed, by protocol. (The calls in flight are ActiveCalls' to count.) Each call records through
 * its own {@link CallRecorder}.
 *
 * <p>The meters of a protocol and method are looked up once per call, without allocating, and those of a
 * code once per call end: building and registering meters per call would be costly. Thread-safe.
 */
public final class ProxyMetrics implements MeterBinder {
    private static final RpcCode[] CODES = RpcCode.values();

    private final MethodTagger methods;
    private final Duration[] latencyBuckets;
    /** By protocol, then method tag. Bounded: protocols are few and method tags capped. */
    private final Map<String, Map<String, CallMeters>> byProtocolAndMethod = new ConcurrentHashMap<>();
    private final Map<String, Counter> shedByProtocol = new ConcurrentHashMap<>();
    /** What calls before {@link #bindTo} record into: an empty composite registry keeps nothing. */
    private final CallMeters unbound;
    private volatile MeterRegistry registry;

    public ProxyMetrics(MetricsSettings settings) {
        requireNonNull(settings, "settings");
        this.methods = new MethodTagger(settings.maxMethods());
        this.latencyBuckets = settings.latencyBuckets().toArray(Duration[]::new);
        this.unbound = new CallMeters(new CompositeMeterRegistry(), "", "", latencyBuckets);
    }

    @Override
    public void bindTo(MeterRegistry meterRegistry) {
        this.registry = meterRegistry;
    }

    /** Starts recording a call; its recorder is told what happens to the call, on the call's thread. */
    public CallRecorder callStarted(String protocol, String fullMethodName) {
        return new CallRecorder(meters(protocol, fullMethodName), System.nanoTime());
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

    /** Records a request Portico answered itself without starting a call (its duration counts as 0). */
    public void rejected(String protocol, String fullMethodName, RpcCode code) {
        meters(protocol, fullMethodName).ended(code, 0);
    }

    private CallMeters meters(String protocol, String fullMethodName) {
        final MeterRegistry meters = registry;
        if (meters == null) {
            return unbound;
        }
        final String method = methods.tag(fullMethodName);
        final Map<String, CallMeters> byMethod =
                byProtocolAndMethod.computeIfAbsent(protocol, p -> new ConcurrentHashMap<>());
        CallMeters found = byMethod.get(method);
        if (found == null) {
            found = byMethod.computeIfAbsent(method, m -> new CallMeters(meters, protocol, m, latencyBuckets));
        }
        return found;
    }

    /** The meters of one protocol and method; those of each gRPC code are registered at its first call end. */
    static final class CallMeters {
        private final MeterRegistry registry;
        private final String protocol;
        private final String method;
        private final Duration[] latencyBuckets;
        final Timer firstByte;
        final Counter requestMessages;
        final Counter responseMessages;
        final Counter requestBytes;
        final Counter responseBytes;
        private final AtomicReferenceArray<EndMeters> byCode = new AtomicReferenceArray<>(CODES.length);

        CallMeters(MeterRegistry registry, String protocol, String method, Duration[] latencyBuckets) {
            this.registry = registry;
            this.protocol = protocol;
            this.method = method;
            this.latencyBuckets = latencyBuckets;
            this.firstByte = Timer.builder("portico.response.first.byte")
                    .description("Time from a call's request head to its first response message, sent on to "
                                 + "the client (calls that had one)")
                    .tags("protocol", protocol, "method", method)
                    .serviceLevelObjectives(latencyBuckets)
                    .register(registry);
            this.requestMessages = counter("portico.request.messages", null,
                                           "Request messages received from clients");
            this.responseMessages = counter("portico.response.messages", null,
                                            "Response messages sent on to clients");
            this.requestBytes = counter("portico.request.bytes", "bytes",
                                        "Request body bytes received from clients, as sent (before base64 "
                                        + "decoding and decompression)");
            this.responseBytes = counter("portico.response.bytes", "bytes",
                                         "Response body bytes written to clients, framing and end included");
        }

        private Counter counter(String name, String unit, String description) {
            return Counter.builder(name)
                          .description(description)
                          .baseUnit(unit)
                          .tags("protocol", protocol, "method", method)
                          .register(registry);
        }

        /** Records the end of a call with {@code code}, {@code durationNanos} after its start. */
        void ended(RpcCode code, long durationNanos) {
            EndMeters end = byCode.get(code.ordinal());
            if (end == null) {
                end = new EndMeters(
                        Counter.builder("portico.requests")
                               .description("Calls through Portico, by protocol, method and gRPC status code")
                               .tags("protocol", protocol, "method", method, "code", code.name())
                               .register(registry),
                        Timer.builder("portico.request.duration")
                             .description("Time from a call's request head to its end written to the client")
                             .tags("protocol", protocol, "method", method, "code", code.name())
                             .serviceLevelObjectives(latencyBuckets)
                             .register(registry));
                // Registering twice returns the same meters: a race here is harmless.
                byCode.set(code.ordinal(), end);
            }
            end.requests().increment();
            end.duration().record(durationNanos, TimeUnit.NANOSECONDS);
        }
    }

    private record EndMeters(Counter requests, Timer duration) {}
}
