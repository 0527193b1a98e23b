package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.EchoResponse;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.GrpcWebResponse;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.RawWire;
import dev.portico.proxy.testing.TestHttpClient;
import dev.portico.proxy.testing.Transport;
import io.netty.handler.codec.http.HttpHeaders;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Call deadlines end to end: {@code grpc-timeout} in each unit (PROTOCOL-HTTP2.md), {@code portico.deadlines}
 * max, default and ignore-client-timeout, and the deadline reaching the upstream. Echo sleeps before it
 * answers; a call that outlives its deadline ends with DEADLINE_EXCEEDED, trailers-only (nothing was sent).
 *
 * <p>The upstream's view comes from Echo itself: it lists the request headers it received, and grpc-java
 * sends the call's remaining time there as {@code grpc-timeout}.
 */
class DeadlineTest {
    private static final String ECHO = "/portico.demo.v1.DemoService/Echo";
    /** How long after the deadline the answer may take: generous, for loaded machines. */
    private static final Duration LATE = Duration.ofMillis(1200);
    /** How early it may come: the client's clock starts before Portico's. */
    private static final Duration EARLY = Duration.ofMillis(10);
    private static final int SLOW = 3000;

    private static PorticoFixture plain;
    /** Its backend sees only the calls of the cancellation test, so that it can count them. */
    private static PorticoFixture counting;
    private static PorticoFixture capped;
    private static PorticoFixture withDefault;
    private static PorticoFixture ignoring;
    private static PorticoFixture ignoringWithDefault;

    @BeforeAll
    static void start() throws Exception {
        plain = PorticoFixture.start("");
        counting = PorticoFixture.start("");
        capped = PorticoFixture.start("portico.deadlines.max = 300ms");
        withDefault = PorticoFixture.start("portico.deadlines.default = 300ms");
        ignoring = PorticoFixture.start("portico.deadlines.ignore-client-timeout = true");
        ignoringWithDefault = PorticoFixture.start(
                "portico.deadlines { ignore-client-timeout = true, default = 300ms }");
    }

    @AfterAll
    static void stop() throws Exception {
        for (PorticoFixture fixture : new PorticoFixture[] {
                plain, counting, capped, withDefault, ignoring, ignoringWithDefault}) {
            if (fixture != null) {
                fixture.close();
            }
        }
    }

    static Stream<Arguments> shortTimeouts() {
        final List<Arguments> cases = new ArrayList<>();
        for (Transport transport : List.of(Transport.HTTP1, Transport.H2C)) {
            cases.add(Arguments.of(transport, "250m", Duration.ofMillis(250)));
            cases.add(Arguments.of(transport, "250000u", Duration.ofMillis(250)));
            cases.add(Arguments.of(transport, "99999999n", Duration.ofNanos(99_999_999)));
            cases.add(Arguments.of(transport, "1S", Duration.ofSeconds(1)));
            cases.add(Arguments.of(transport, "0m", Duration.ZERO));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} grpc-timeout {1}")
    @MethodSource("shortTimeouts")
    void aTimeoutInEachUnitEndsASlowerCallWithDeadlineExceededWhenItPasses(Transport transport, String timeout,
                                                                          Duration expected) throws Exception {
        final TimedCall call = call(plain, transport, timeout, SLOW);

        assertDeadlineExceeded(call, expected);
    }

    static Stream<Arguments> generousTimeouts() {
        final List<Arguments> cases = new ArrayList<>();
        for (Transport transport : List.of(Transport.HTTP1, Transport.H2C)) {
            // Each unit read as a smaller one (M as m, H as n, ...) would expire before the 150 ms sleep.
            cases.add(Arguments.of(transport, "1M", Duration.ofMinutes(1)));
            cases.add(Arguments.of(transport, "1H", Duration.ofHours(1)));
            cases.add(Arguments.of(transport, "2S", Duration.ofSeconds(2)));
            cases.add(Arguments.of(transport, "2000m", Duration.ofSeconds(2)));
            cases.add(Arguments.of(transport, "2000000u", Duration.ofSeconds(2)));
            cases.add(Arguments.of(transport, "99999999m", Duration.ofMillis(99_999_999)));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} grpc-timeout {1}")
    @MethodSource("generousTimeouts")
    void aTimeoutLongerThanTheCallLetsItFinishAndReachesTheUpstream(Transport transport, String timeout,
                                                                   Duration asked) throws Exception {
        final TimedCall call = call(plain, transport, timeout, 150);

        assertThat(call.response.code()).isZero();
        // The upstream got the rest of the same deadline: a little less than asked, never more.
        assertThat(upstreamTimeout(call.response))
                .isLessThanOrEqualTo(asked)
                .isGreaterThan(asked.minus(Duration.ofSeconds(1)));
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void theUpstreamCallIsCancelledWhenTheDeadlinePasses(Transport transport) throws Exception {
        final int cancelledBefore = counting.backend().service().cancelledCalls();

        final TimedCall call = call(counting, transport, "200m", SLOW);

        assertDeadlineExceeded(call, Duration.ofMillis(200));
        // The backend learns at the deadline too (its own timer or Portico's RST_STREAM), not after its sleep.
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (counting.backend().service().cancelledCalls() == cancelledBefore
               && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(counting.backend().service().cancelledCalls()).isEqualTo(cancelledBefore + 1);
    }

    // --- portico.deadlines.max = 300ms ---

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void deadlinesMaxCapsALongerClientTimeout(Transport transport) throws Exception {
        assertDeadlineExceeded(call(capped, transport, "10S", SLOW), Duration.ofMillis(300));
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void deadlinesMaxAppliesToACallWithoutATimeout(Transport transport) throws Exception {
        assertDeadlineExceeded(call(capped, transport, null, SLOW), Duration.ofMillis(300));
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void deadlinesMaxIsWhatTheUpstreamSeesInsteadOfALongerClientTimeout(Transport transport) throws Exception {
        final TimedCall call = call(capped, transport, "10S", 0);

        assertThat(call.response.code()).isZero();
        assertThat(upstreamTimeout(call.response)).isLessThanOrEqualTo(Duration.ofMillis(300))
                                                  .isPositive();
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void aClientTimeoutBelowDeadlinesMaxIsKept(Transport transport) throws Exception {
        final TimedCall call = call(capped, transport, "100m", 0);

        assertThat(call.response.code()).isZero();
        assertThat(upstreamTimeout(call.response)).isLessThanOrEqualTo(Duration.ofMillis(100))
                                                  .isPositive();
    }

    // --- portico.deadlines.default = 300ms ---

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void deadlinesDefaultAppliesWhenTheClientSendsNoTimeout(Transport transport) throws Exception {
        assertDeadlineExceeded(call(withDefault, transport, null, SLOW), Duration.ofMillis(300));
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void deadlinesDefaultGivesWayToTheClientsOwnTimeout(Transport transport) throws Exception {
        // Longer than the default, and no max: the client's 5 s stand.
        final TimedCall call = call(withDefault, transport, "5S", 450);

        assertThat(call.response.code()).isZero();
        assertThat(upstreamTimeout(call.response)).isGreaterThan(Duration.ofSeconds(4));
    }

    // --- portico.deadlines.ignore-client-timeout = true ---

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void ignoreClientTimeoutLetsACallOutliveItsClientsTimeout(Transport transport) throws Exception {
        final TimedCall call = call(ignoring, transport, "100m", 300);

        assertThat(call.response.code()).isZero();
        assertThat(call.elapsed).isGreaterThanOrEqualTo(Duration.ofMillis(300));
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void ignoreClientTimeoutSendsTheUpstreamNoDeadline(Transport transport) throws Exception {
        final TimedCall call = call(ignoring, transport, "100m", 0);

        assertThat(call.response.code()).isZero();
        assertThat(echoed(call.response).getMetadataMap()).doesNotContainKey("grpc-timeout");
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void ignoreClientTimeoutStillAppliesTheDefault(Transport transport) throws Exception {
        assertDeadlineExceeded(call(ignoringWithDefault, transport, "10S", SLOW), Duration.ofMillis(300));
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void ignoreClientTimeoutReplacesAShorterClientTimeoutWithTheDefault(Transport transport) throws Exception {
        final TimedCall call = call(ignoringWithDefault, transport, "100m", 0);

        assertThat(call.response.code()).isZero();
        assertThat(upstreamTimeout(call.response)).isGreaterThan(Duration.ofMillis(100))
                                                  .isLessThanOrEqualTo(Duration.ofMillis(300));
    }

    // --- helpers ---

    private record TimedCall(GrpcWebResponse response, Duration elapsed) {}

    /** An Echo call that sleeps {@code sleepMs} upstream, with {@code timeout} as grpc-timeout unless null. */
    private static TimedCall call(PorticoFixture portico, Transport transport, String timeout, int sleepMs)
            throws Exception {
        final HttpHeaders headers = GrpcWeb.headers(GrpcWeb.PROTO);
        if (timeout != null) {
            headers.set("grpc-timeout", timeout);
        }
        final byte[] body =
                GrpcWeb.frame(EchoRequest.newBuilder().setMessage("timed").setSleepMs(sleepMs).build());
        // The whole request in one write: an expired deadline is answered before Portico reads the body.
        try (RawWire wire = RawWire.open(transport, portico.port())) {
            final long start = System.nanoTime();
            final TestHttpClient.Response response = wire.exchange("POST", ECHO, headers, body);
            final Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            return new TimedCall(GrpcWebResponse.of(response, GrpcWeb.PROTO), elapsed);
        }
    }

    private static void assertDeadlineExceeded(TimedCall call, Duration deadline) {
        assertThat(call.response.code()).as("grpc-status").isEqualTo(4); // DEADLINE_EXCEEDED
        assertThat(call.response.trailersOnly()).isTrue();
        assertThat(call.response.message()).containsIgnoringCase("deadline");
        assertThat(call.elapsed).isGreaterThanOrEqualTo(deadline.minus(EARLY))
                                .isLessThan(deadline.plus(LATE));
    }

    private static EchoResponse echoed(GrpcWebResponse response) throws Exception {
        return response.messages(EchoResponse.parser()).get(0);
    }

    /** The grpc-timeout the upstream received, as Echo reports it. */
    private static Duration upstreamTimeout(GrpcWebResponse response) throws Exception {
        final String value = echoed(response).getMetadataMap().get("grpc-timeout");
        assertThat(value).as("grpc-timeout the upstream received").isNotNull();
        final long amount = Long.parseLong(value.substring(0, value.length() - 1));
        return switch (value.charAt(value.length() - 1)) {
            case 'H' -> Duration.ofHours(amount);
            case 'M' -> Duration.ofMinutes(amount);
            case 'S' -> Duration.ofSeconds(amount);
            case 'm' -> Duration.ofMillis(amount);
            case 'u' -> Duration.ofNanos(amount * 1000);
            case 'n' -> Duration.ofNanos(amount);
            default -> throw new AssertionError("grpc-timeout with an unknown unit: " + value);
        };
    }
}
