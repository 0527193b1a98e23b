package dev.portico.proxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.netty.handler.codec.http2.Http2Error;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * HTTP/2 stream resets and what they cost a client: {@code portico.http2.streams.refused{reason}} (streams
 * Portico reset, by RST_STREAM error code in lower case: {@code refused_stream} over
 * {@code max-concurrent-streams}, {@code protocol_error} for malformed request headers, ...),
 * {@code portico.http2.resets.received} (RST_STREAM frames from clients), {@code portico.reset.flood.penalties}
 * (client IPs penalised for a reset flood) and {@code portico.connections.rejected{reason="reset_flood"}}.
 * Tags are bounded: the reason is one of the fourteen HTTP/2 error codes. Thread-safe; counts nothing before
 * {@link #bindTo}.
 */
public final class Http2Metrics implements MeterBinder {
    private final Map<Http2Error, Counter> refusedByReason = new ConcurrentHashMap<>();
    private volatile MeterRegistry registry;
    private volatile Counter resetsReceived;
    private volatile Counter penalties;
    private volatile Counter connectionsRefused;

    @Override
    public void bindTo(MeterRegistry meterRegistry) {
        resetsReceived = Counter.builder("portico.http2.resets.received")
                .description("RST_STREAM frames received from HTTP/2 clients")
                .register(meterRegistry);
        penalties = Counter.builder("portico.reset.flood.penalties")
                .description("Client IPs whose new connections were refused for a while after a reset flood")
                .register(meterRegistry);
        connectionsRefused = Counter.builder("portico.connections.rejected")
                .description(ConnectionMetrics.CONNECTIONS_REJECTED_HELP)
                .tag("reason", "reset_flood")
                .register(meterRegistry);
        registry = meterRegistry;
    }

    /** Portico reset a client's stream with {@code error} (not counted: NO_ERROR and CANCEL). */
    public void streamRefused(Http2Error error) {
        final MeterRegistry meters = registry;
        if (meters != null) {
            refusedByReason.computeIfAbsent(error, e -> Counter.builder("portico.http2.streams.refused")
                    .description("HTTP/2 streams Portico reset, by RST_STREAM error code")
                    .tag("reason", e.name().toLowerCase(Locale.ROOT))
                    .register(meters)).increment();
        }
    }

    public void resetReceived() {
        increment(resetsReceived);
    }

    public void penaltyStarted() {
        increment(penalties);
    }

    public void connectionRefusedForResetFlood() {
        increment(connectionsRefused);
    }

    private static void increment(Counter counter) {
        if (counter != null) {
            counter.increment();
        }
    }
}
