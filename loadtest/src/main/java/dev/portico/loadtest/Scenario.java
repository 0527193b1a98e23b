package dev.portico.loadtest;

import java.util.List;

/**
 * One load shape, run for each of its variants: the same calls, the same concurrency, the same request
 * body (written by {@link RequestBodies} as {@code body + format suffix}).
 *
 * @param messages response messages per call
 * @param messageBytes payload bytes per response message
 */
record Scenario(String id, String title, Kind kind, String method, String body, int concurrency, int messages,
                int messageBytes, List<Variant> variants) {

    enum Kind { LATENCY, THROUGHPUT, STREAMING, OPEN_STREAMS }

    static List<Scenario> all(Options o) {
        return List.of(
                new Scenario("unary-c1", "Unary 100 B, concurrency 1 (latency)", Kind.LATENCY, "Echo",
                             "echo-100", 1, 1, 100, Variant.ALL),
                new Scenario("unary-c50", "Unary 100 B, concurrency 50 (throughput)", Kind.THROUGHPUT, "Echo",
                             "echo-100", 50, 1, 100, Variant.ALL),
                new Scenario("stream-1000x1k", "Server streaming 1000 x 1 KiB, 4 calls in flight",
                             Kind.STREAMING, "ServerStream", "stream-1000x1024", 4, 1000, 1024, Variant.STREAMING),
                new Scenario("open-streams", "Open server streams held at once (memory): " + o.openStreams(),
                             Kind.OPEN_STREAMS, "ServerStream", "hold-64", o.openStreams(), 1, 64,
                             Variant.OPEN_STREAMS));
    }

    /** h2load's shape for this many calls in flight: up to 5 connections, the streams spread over them. */
    int h2Connections() {
        if (kind == Kind.OPEN_STREAMS) {
            return (concurrency + STREAMS_PER_CONNECTION_OPEN - 1) / STREAMS_PER_CONNECTION_OPEN;
        }
        return Math.min(concurrency, 5);
    }

    int h2StreamsPerConnection() {
        return (concurrency + h2Connections() - 1) / h2Connections();
    }

    /** Below Portico's default limits.max-concurrent-streams (1000). */
    private static final int STREAMS_PER_CONNECTION_OPEN = 500;

    /** The same calls at another concurrency, under another id (the JIT warm-up). */
    Scenario withConcurrency(String newId, int calls) {
        return new Scenario(newId, title, kind, method, body, calls, messages, messageBytes, variants);
    }

    String bodyFile(Variant v) {
        return body + v.format.bodySuffix;
    }
}
