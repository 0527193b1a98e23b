package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.GrpcWebResponse;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.PrometheusScrape;
import dev.portico.proxy.testing.RawHttp2Connection;
import dev.portico.proxy.testing.TestBackend;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Rapid reset (CVE-2023-44487): a client that opens streams and resets them at once, on one connection after
 * another, makes Portico start no upstream call for them, is cut off after
 * {@code portico.limits.reset-flood.max-resets} per connection, and finds its IP refused for the penalty, so
 * that reconnecting gains it nothing.
 */
class ResetFloodTest {
    private static final String UNARY = "/test.Echo/Unary";
    private static final int MAX_RESETS = 100;
    private static final Duration PENALTY = Duration.ofSeconds(2);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_ATTEMPTS = 300;
    private static final int RESETS_PER_CONNECTION = 2 * MAX_RESETS;

    private static TestBackend backend;
    private static PorticoFixture portico;

    @BeforeAll
    static void start() throws Exception {
        backend = TestBackend.start("flooded", "127.0.0.1", 0);
        portico = PorticoFixture.startInFrontOf(backend.port(),
                "portico.limits.reset-flood { max-resets = " + MAX_RESETS + ", window = 30s, penalty = "
                + PENALTY.toMillis() + "ms }\n"
                // Not about health: no Watch timeout on a loaded machine marks the backend down.
                + "portico.upstream.health-check.enabled = false\n");
    }

    @AfterAll
    static void stop() throws Exception {
        portico.close();
        backend.close();
    }

    @BeforeEach
    void waitForAnEarlierPenaltyToEnd() throws Exception {
        final long deadline = System.nanoTime() + PENALTY.plus(TIMEOUT).toNanos();
        while (System.nanoTime() < deadline) {
            final RawHttp2Connection h2 = RawHttp2Connection.tryConnect(portico.port());
            if (h2 != null) {
                h2.close();
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("127.0.0.1 still refused " + PENALTY.plus(TIMEOUT) + " after the last test");
    }

    @Test
    void aReconnectingRapidResetFloodStartsNoUpstreamCallAndStaysCheap() throws Exception {
        final int callsBefore = backend.callsSeen();
        final long cpuBefore = processCpuNanos();
        final long started = System.nanoTime();
        final long floodEnd = started + Duration.ofSeconds(3).toNanos();
        int served = 0;
        int refused = 0;
        int resetsSent = 0;
        // For 3 s, at most 300 connections: connect, open and reset streams two by two in one write until
        // Portico closes the connection, connect again; a refused connection is retried after 10 ms.
        for (int attempt = 0; attempt < MAX_ATTEMPTS && System.nanoTime() < floodEnd; attempt++) {
            final RawHttp2Connection h2 = RawHttp2Connection.tryConnect(portico.port());
            if (h2 == null) {
                refused++;
                Thread.sleep(10);
                continue;
            }
            try (h2) {
                served++;
                h2.openAndReset(h2.post(UNARY, GrpcWeb.headers(GrpcWeb.PROTO)), RESETS_PER_CONNECTION);
                resetsSent += RESETS_PER_CONNECTION;
                final RawHttp2Connection.GoAway goAway = h2.awaitClosed(TIMEOUT);
                assertThat(goAway).isNotNull();
                assertThat(goAway.errorCode()).isEqualTo(RawHttp2Connection.ENHANCE_YOUR_CALM);
            }
        }
        final double wallSeconds = (System.nanoTime() - started) / 1e9;
        final double cpuSeconds = (processCpuNanos() - cpuBefore) / 1e9;
        System.out.printf("reset flood: %d connections served, %d refused, %d resets sent in %.1f s; "
                          + "%.2f s CPU for the whole test JVM%n", served, refused, resetsSent, wallSeconds,
                          cpuSeconds);

        // The HEADERS and RST_STREAM of each stream arrive in one read: no upstream call starts.
        assertThat(backend.callsSeen() - callsBefore).isZero();
        // Reconnecting does not get around the per-connection bound: one connection per penalty got through.
        assertThat(served).isBetween(1, 1 + (int) (wallSeconds / PENALTY.toSeconds()) + 1);
        assertThat(refused).isPositive();
        // Generous: the client, the backend and the JIT are in this JVM too. Served on every reconnect, the
        // flood offered (300 x 200 resets, each an upstream call at 6,000 a second on two cores) would take
        // about ten times as much.
        assertThat(cpuSeconds).as("CPU seconds used by the test JVM during %.1f s of flood", wallSeconds)
                              .isLessThan(3.0);

        final PrometheusScrape metrics = PrometheusScrape.fetch(portico.adminPort());
        assertThat(metrics.sum("portico_http2_resets_received_total"))
                .isGreaterThanOrEqualTo(served * MAX_RESETS);
        assertThat(metrics.sum("portico_reset_flood_penalties_total")).isGreaterThanOrEqualTo(served);
        assertThat(metrics.value("portico_connections_rejected_total", Map.of("reason", "reset_flood"))
                          .orElse(0)).isGreaterThanOrEqualTo(refused);
    }

    @Test
    void theFloodingIpIsRefusedDuringThePenaltyAndServedAfterIt() throws Exception {
        // The penalty starts after this, when Portico has read the flood.
        final long floodSent = System.nanoTime();
        try (RawHttp2Connection h2 = RawHttp2Connection.connect(portico.port())) {
            h2.openAndReset(h2.post(UNARY, GrpcWeb.headers(GrpcWeb.PROTO)), MAX_RESETS + 1);
            assertThat(h2.awaitClosed(TIMEOUT).errorCode()).isEqualTo(RawHttp2Connection.ENHANCE_YOUR_CALM);
        }
        assertThat(RawHttp2Connection.tryConnect(portico.port())).as("a connection during the penalty")
                                                                 .isNull();

        RawHttp2Connection served = null;
        while (served == null && System.nanoTime() - floodSent < PENALTY.plus(TIMEOUT).toNanos()) {
            Thread.sleep(100);
            served = RawHttp2Connection.tryConnect(portico.port());
        }
        assertThat(served).as("a connection after the penalty").isNotNull();
        try (RawHttp2Connection h2 = served) {
            // Refused for the whole penalty, and not for good.
            assertThat(Duration.ofNanos(System.nanoTime() - floodSent)).isGreaterThanOrEqualTo(PENALTY);
            final int stream = h2.send(h2.post(UNARY, GrpcWeb.headers(GrpcWeb.PROTO)),
                                       GrpcWeb.frame(0, "served".getBytes(StandardCharsets.UTF_8)));
            final GrpcWebResponse response = GrpcWebResponse.of(h2.await(stream, TIMEOUT).toResponse(),
                                                                GrpcWeb.PROTO);
            assertThat(response.code()).isZero();
            assertThat(new String(response.messages().get(0), StandardCharsets.UTF_8)).isEqualTo("served");
        }
    }

    @Test
    void resetsOfStreamsAlreadyAnsweredDoNotCount() throws Exception {
        // Portico may answer before the request's end (an error, RFC 9113 section 8.1), and the client then
        // resets the rest of its request, as grpc-java does. No work is lost, so no budget is spent.
        try (RawHttp2Connection h2 = RawHttp2Connection.connect(portico.port())) {
            for (int i = 0; i < 2 * MAX_RESETS; i++) {
                final int stream = h2.open(h2.post(UNARY, GrpcWeb.headers("text/plain")));
                assertThat(h2.await(stream, TIMEOUT).status()).isEqualTo(415);
                h2.reset(stream, RawHttp2Connection.CANCEL);
            }
            final int stream = h2.send(h2.post(UNARY, GrpcWeb.headers(GrpcWeb.PROTO)),
                                       GrpcWeb.frame(0, "still served".getBytes(StandardCharsets.UTF_8)));
            assertThat(GrpcWebResponse.of(h2.await(stream, TIMEOUT).toResponse(), GrpcWeb.PROTO).code())
                    .isZero();
            assertThat(h2.goAway()).isNull();
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
