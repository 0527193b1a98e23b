package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.demo.v1.DemoServiceGrpc;
import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.FailRequest;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.PrometheusScrape;
import dev.portico.proxy.testing.TestHttpClient;
import dev.portico.proxy.testing.Transport;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.codec.http.HttpMethod;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The admin port's {@code /metrics} (STYLE.md C6 rule 13): calls counted by protocol, method and gRPC
 * code, not by HTTP status, and the calls in flight as a gauge. Each test gets a fresh Portico, so counts
 * are exact.
 */
class MetricsTest {
    private static final String ECHO = "/portico.demo.v1.DemoService/Echo";
    private static final String FAIL = "/portico.demo.v1.DemoService/Fail";
    private static final String REQUESTS = "portico_requests_total";
    private static final String ACTIVE = "portico_calls_active";

    private PorticoFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = PorticoFixture.start("");
    }

    @AfterEach
    void stop() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void successfulAndFailedCallsAreCountedByProtocolMethodAndGrpcCode() throws Exception {
        try (TestHttpClient client = fixture.connect(Transport.HTTP1)) {
            final TestHttpClient.Response ok = client.call(
                    HttpMethod.POST, ECHO, GrpcWeb.headers(GrpcWeb.PROTO),
                    GrpcWeb.frame(EchoRequest.newBuilder().setMessage("count me").build()));
            assertThat(GrpcWeb.parse(ok.body()).trailer("grpc-status")).isEqualTo("0");
            final TestHttpClient.Response failed = client.call(
                    HttpMethod.POST, FAIL, GrpcWeb.headers(GrpcWeb.PROTO),
                    GrpcWeb.frame(FailRequest.newBuilder().setCode(5).setMessage("missing").build()));
            assertThat(failed.headers().get("grpc-status")).isEqualTo("5");
        }

        final PrometheusScrape metrics = PrometheusScrape.fetch(fixture.adminPort());

        assertThat(metrics.value(REQUESTS, Map.of(
                "protocol", "grpc-web", "method", "portico.demo.v1.DemoService/Echo", "code", "OK")))
                .as("Echo OK in:%n%s", metrics.text()).hasValue(1.0);
        assertThat(metrics.value(REQUESTS, Map.of(
                "protocol", "grpc-web", "method", "portico.demo.v1.DemoService/Fail", "code", "NOT_FOUND")))
                .as("Fail NOT_FOUND in:%n%s", metrics.text()).hasValue(1.0);
        assertThat(metrics.sum(REQUESTS)).isEqualTo(2.0);
        // Both calls are over, so none is in flight.
        assertThat(metrics.value(ACTIVE, Map.of())).as("%s in:%n%s", ACTIVE, metrics.text()).hasValue(0.0);
    }

    @Test
    void aCallInFlightShowsInTheActiveCallsGaugeUntilItEnds() throws Exception {
        // The first scrape pays one-off costs (HTTP client, registry, JIT) of up to a second on a busy machine:
        // paid here, they cannot eat the window in which the call below is in flight.
        assertThat(PrometheusScrape.fetch(fixture.adminPort()).value(ACTIVE, Map.of())).hasValue(0.0);
        try (TestHttpClient client = fixture.connect(Transport.H2C)) {
            final TestHttpClient.Exchange exchange = client.open(HttpMethod.POST, ECHO,
                                                                 GrpcWeb.headers(GrpcWeb.PROTO));
            // The backend holds the answer back long enough for a few scrapes, even on a loaded machine.
            exchange.writeAndEnd(GrpcWeb.frame(EchoRequest.newBuilder().setSleepMs(6000).build()));

            assertThat(awaitActive(1.0, Duration.ofSeconds(4)))
                    .as("%s while the call runs", ACTIVE).hasValue(1.0);
            assertThat(PrometheusScrape.fetch(fixture.adminPort()).sum(REQUESTS))
                    .as("a call is counted when it ends").isEqualTo(0.0);

            final TestHttpClient.Response response = exchange.awaitResponse(Duration.ofSeconds(15));
            assertThat(GrpcWeb.parse(response.body()).trailer("grpc-status")).isEqualTo("0");
        }
        assertThat(awaitActive(0.0, Duration.ofSeconds(2))).as("%s after the call", ACTIVE).hasValue(0.0);
    }

    @Test
    void eachClientProtocolIsCountedUnderItsOwnTag() throws Exception {
        try (TestHttpClient client = fixture.connect(Transport.H2C)) {
            final TestHttpClient.Response text = client.call(
                    HttpMethod.POST, ECHO, GrpcWeb.headers(GrpcWeb.TEXT),
                    GrpcWeb.base64(GrpcWeb.frame(EchoRequest.newBuilder().setMessage("text").build())));
            assertThat(GrpcWeb.parse(GrpcWeb.decodeText(text.body())).trailer("grpc-status")).isEqualTo("0");
        }
        final ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", fixture.port())
                .usePlaintext().build();
        try {
            DemoServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                           .echo(EchoRequest.newBuilder().setMessage("native").build());
        } finally {
            channel.shutdownNow();
            channel.awaitTermination(5, TimeUnit.SECONDS);
        }

        final PrometheusScrape metrics = PrometheusScrape.fetch(fixture.adminPort());

        assertThat(metrics.value(REQUESTS, Map.of("protocol", "grpc-web-text",
                                                  "method", "portico.demo.v1.DemoService/Echo", "code", "OK")))
                .as("gRPC-Web text in:%n%s", metrics.text()).hasValue(1.0);
        assertThat(metrics.value(REQUESTS, Map.of("protocol", "grpc",
                                                  "method", "portico.demo.v1.DemoService/Echo", "code", "OK")))
                .as("native gRPC in:%n%s", metrics.text()).hasValue(1.0);
        assertThat(metrics.value(REQUESTS, Map.of("protocol", "grpc-web"))).isEmpty();
    }

    /** Scrapes until {@code portico_calls_active} has the wanted value or the time is up; the last value. */
    private OptionalDouble awaitActive(double wanted, Duration within) throws Exception {
        final long deadline = System.nanoTime() + within.toNanos();
        OptionalDouble value;
        do {
            value = PrometheusScrape.fetch(fixture.adminPort()).value(ACTIVE, Map.of());
            if (value.isPresent() && value.getAsDouble() == wanted) {
                return value;
            }
            Thread.sleep(10);
        } while (System.nanoTime() < deadline);
        return value;
    }
}
