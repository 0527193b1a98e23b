package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.StreamRequest;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.RawHttp2Connection;
import dev.portico.proxy.testing.TestHttpClient;
import dev.portico.proxy.testing.Transport;
import io.netty.handler.codec.http.HttpMethod;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A client that aborts (closes its HTTP/1.1 connection, resets its HTTP/2 stream) cancels the upstream
 * call at once: the backend itself sees the cancellation.
 */
class CancellationTest {
    private static final String ECHO = "/portico.demo.v1.DemoService/Echo";
    private static PorticoFixture fixture;

    @BeforeAll
    static void start() throws Exception {
        fixture = PorticoFixture.start("");
    }

    @AfterAll
    static void stop() throws Exception {
        fixture.close();
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void abortingAServerStreamCancelsTheUpstreamCall(Transport transport) throws Exception {
        final int cancelledBefore = fixture.backend().service().cancelledCalls();
        try (TestHttpClient client = fixture.connect(transport)) {
            final TestHttpClient.Exchange exchange = client.open(
                    HttpMethod.POST, "/portico.demo.v1.DemoService/ServerStream", GrpcWeb.headers(GrpcWeb.PROTO));
            exchange.writeAndEnd(GrpcWeb.frame(StreamRequest.newBuilder().setCount(1000).setIntervalMs(50).build()));
            assertThat(exchange.nextChunk(Duration.ofSeconds(5))).isNotNull();

            exchange.cancel();

            awaitAtLeast(() -> fixture.backend().service().cancelledCalls(), cancelledBefore + 1);
            if (transport.isHttp2()) {
                // A reset stream leaves the connection serving other calls.
                final TestHttpClient.Response next = client.call(
                        HttpMethod.POST, "/portico.demo.v1.DemoService/Echo", GrpcWeb.headers(GrpcWeb.PROTO),
                        GrpcWeb.frame(EchoRequest.newBuilder().setMessage("after").build()));
                assertThat(GrpcWeb.parse(next.body()).trailer("grpc-status")).isEqualTo("0");
            }
        }
        await(() -> fixture.portico().registry().get("portico.calls.active").gauge().value() == 0);
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void abortingWhileTheUpstreamIsStillWorkingCancelsIt(Transport transport) throws Exception {
        final int cancelledBefore = fixture.backend().service().cancelledCalls();
        try (TestHttpClient client = fixture.connect(transport)) {
            final TestHttpClient.Exchange exchange = client.open(
                    HttpMethod.POST, "/portico.demo.v1.DemoService/Echo", GrpcWeb.headers(GrpcWeb.PROTO));
            exchange.writeAndEnd(GrpcWeb.frame(EchoRequest.newBuilder().setSleepMs(10_000).build()));
            Thread.sleep(200); // The call reaches the backend, which now sleeps.

            exchange.cancel();

            awaitAtLeast(() -> fixture.backend().service().cancelledCalls(), cancelledBefore + 1);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void abortingInTheMiddleOfTheRequestBodyCancelsTheUpstreamCall(Transport transport) throws Exception {
        final int cancelledBefore = fixture.backend().service().cancelledCalls();
        try (TestHttpClient client = fixture.connect(transport)) {
            final TestHttpClient.Exchange exchange = client.open(
                    HttpMethod.POST, "/portico.demo.v1.DemoService/ClientStream", GrpcWeb.headers(GrpcWeb.PROTO));
            exchange.write(GrpcWeb.frame(EchoRequest.newBuilder().setMessage("one").build()));
            Thread.sleep(200);

            exchange.cancel();

            awaitAtLeast(() -> fixture.backend().service().cancelledCalls(), cancelledBefore + 1);
        }
    }

    /**
     * Streams the client resets while their bodies wait unread (the call not started yet): each stream's
     * channel is closed and what it held released (the class's leak check fails otherwise), and none reaches
     * the backend.
     */
    @Test
    void streamsResetWithTheirBodyUnreadLeaveNothingBehind() throws Exception {
        final int echoCallsBefore = fixture.backend().service().echoCalls();
        try (RawHttp2Connection h2 = RawHttp2Connection.connect(fixture.port())) {
            final byte[] body = GrpcWeb.frame(EchoRequest.newBuilder().setMessage("never read").build());
            h2.openSendAndReset(h2.post(ECHO, GrpcWeb.headers(GrpcWeb.PROTO)), body, 50);

            final int next = h2.send(h2.post(ECHO, GrpcWeb.headers(GrpcWeb.PROTO)),
                                     GrpcWeb.frame(EchoRequest.newBuilder().setMessage("after").build()));
            assertThat(GrpcWeb.parse(h2.await(next, Duration.ofSeconds(10)).data()).trailer("grpc-status"))
                    .isEqualTo("0");
        }
        assertThat(fixture.backend().service().echoCalls() - echoCallsBefore).isEqualTo(1);
    }

    private static void awaitAtLeast(IntSupplier value, int expected) throws InterruptedException {
        await(() -> value.getAsInt() >= expected);
        assertThat(value.getAsInt()).isGreaterThanOrEqualTo(expected);
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(condition.getAsBoolean()).as("condition within 3 s").isTrue();
    }
}
