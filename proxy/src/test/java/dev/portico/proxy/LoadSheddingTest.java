package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.EchoResponse;
import dev.portico.proxy.testing.ConnectWire;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.GrpcWebResponse;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.PrometheusScrape;
import dev.portico.proxy.testing.TestHttpClient;
import dev.portico.proxy.testing.Transport;
import io.netty.handler.codec.http.HttpMethod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code portico.limits.max-calls-in-flight}: a call over the process's limit is answered at once with
 * UNAVAILABLE in its protocol, without an upstream call; the calls within the limit are unaffected, and
 * calls are admitted again as soon as a place is free.
 */
class LoadSheddingTest {
    private static final String ECHO = "/portico.demo.v1.DemoService/Echo";
    private static final int MAX_CALLS = 3;
    private static final int SLOW_CALL_MILLIS = 3000;

    private PorticoFixture portico;

    @BeforeEach
    void start() throws Exception {
        portico = PorticoFixture.start("portico.limits.max-calls-in-flight = " + MAX_CALLS);
    }

    @AfterEach
    void stop() throws Exception {
        portico.close();
    }

    @Test
    void aCallOverTheLimitIsShedAtOnceInEveryProtocolAndTheOthersFinish() throws Exception {
        try (TestHttpClient slow = portico.connect(Transport.H2C);
             TestHttpClient http1 = portico.connect(Transport.HTTP1);
             TestHttpClient h2c = portico.connect(Transport.H2C)) {
            final List<TestHttpClient.Exchange> inFlight = new ArrayList<>();
            for (int i = 0; i < MAX_CALLS; i++) {
                final TestHttpClient.Exchange exchange = slow.open(HttpMethod.POST, ECHO,
                                                                   GrpcWeb.headers(GrpcWeb.PROTO));
                exchange.writeAndEnd(GrpcWeb.frame(EchoRequest.newBuilder().setMessage("slow " + i)
                                                           .setSleepMs(SLOW_CALL_MILLIS).build()));
                inFlight.add(exchange);
            }
            portico.awaitActiveCalls(MAX_CALLS);

            final long started = System.nanoTime();
            final GrpcWebResponse shedWeb = GrpcWebResponse.of(
                    http1.call(HttpMethod.POST, ECHO, GrpcWeb.headers(GrpcWeb.PROTO),
                               GrpcWeb.frame(EchoRequest.newBuilder().setMessage("one too many").build())),
                    GrpcWeb.PROTO);
            final TestHttpClient.Response shedConnect = h2c.call(
                    HttpMethod.POST, ECHO, ConnectWire.unaryHeaders("proto"),
                    EchoRequest.newBuilder().setMessage("one too many").build().toByteArray());
            final Duration answeredIn = Duration.ofNanos(System.nanoTime() - started);

            assertThat(shedWeb.code()).isEqualTo(14); // UNAVAILABLE: transient, safe to retry with backoff
            assertThat(shedWeb.trailersOnly()).isTrue();
            assertThat(shedWeb.message()).contains("overloaded");
            assertThat(shedConnect.status()).isEqualTo(503);
            assertThat(ConnectWire.json(shedConnect.body()).get("code").getAsString()).isEqualTo("unavailable");
            assertThat(answeredIn).as("shed without waiting for a place").isLessThan(Duration.ofMillis(
                    SLOW_CALL_MILLIS / 2));

            for (TestHttpClient.Exchange exchange : inFlight) {
                final GrpcWebResponse response = GrpcWebResponse.of(
                        exchange.awaitResponse(Duration.ofSeconds(15)), GrpcWeb.PROTO);
                assertThat(response.code()).isZero();
            }
            portico.awaitActiveCalls(0);

            // Places are free again: the same connections are served.
            final GrpcWebResponse after = GrpcWebResponse.of(
                    http1.call(HttpMethod.POST, ECHO, GrpcWeb.headers(GrpcWeb.PROTO),
                               GrpcWeb.frame(EchoRequest.newBuilder().setMessage("admitted").build())),
                    GrpcWeb.PROTO);
            assertThat(after.code()).isZero();
            assertThat(after.messages(EchoResponse.parser()).get(0).getMessage()).isEqualTo("admitted");
        }
        final PrometheusScrape scrape = PrometheusScrape.fetch(portico.adminPort());
        assertThat(scrape.sum("portico_calls_shed_total")).isEqualTo(2.0);
        assertThat(scrape.value("portico_calls_shed_total", Map.of("protocol", "grpc-web"))).hasValue(1.0);
        // The shed calls never reached the backend: only the three slow ones and the last one did.
        assertThat(portico.backend().service().echoCalls()).isEqualTo(MAX_CALLS + 1);
    }
}
