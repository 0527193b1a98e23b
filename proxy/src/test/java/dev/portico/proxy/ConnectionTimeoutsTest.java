package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.EchoResponse;
import dev.portico.demo.v1.StreamRequest;
import dev.portico.proxy.testing.ConnectWire;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.PrometheusScrape;
import dev.portico.proxy.testing.RawHttp1Connection;
import dev.portico.proxy.testing.RawHttp2Connection;
import dev.portico.proxy.testing.StallingService;
import dev.portico.proxy.testing.TestHttpClient;
import dev.portico.proxy.testing.Transport;
import io.grpc.Server;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code portico.listen.timeouts}, scaled down: slow or silent clients are closed after their timeout, while
 * calls whose request has arrived (a quiet server stream, an HTTP/2 client stream between messages) and
 * bodies held back by the upstream are never cut.
 */
class ConnectionTimeoutsTest {
    private static final Duration REQUEST_HEAD = Duration.ofSeconds(1);
    private static final Duration IDLE = Duration.ofSeconds(2);
    private static final Duration REQUEST_BODY_IDLE = Duration.ofSeconds(1);
    private static final Duration REQUEST_BODY = Duration.ofSeconds(3);
    private static final String TIMEOUTS = "portico.listen.timeouts { request-head = 1s, idle = 2s, "
                                           + "request-body-idle = 1s, request-body = 3s }";
    /** Far more than any timeout here takes to act, on a busy machine. */
    private static final Duration PATIENCE = Duration.ofSeconds(10);
    private static final Duration READY = Duration.ofSeconds(20);
    private static final String ECHO = "/portico.demo.v1.DemoService/Echo";
    private static final String SERVER_STREAM = "/portico.demo.v1.DemoService/ServerStream";
    private static final String CLIENT_STREAM = "/portico.demo.v1.DemoService/ClientStream";

    private static PorticoFixture fixture;

    @BeforeAll
    static void start() throws Exception {
        fixture = PorticoFixture.start(TIMEOUTS).awaitReady(READY);
    }

    @AfterAll
    static void stop() throws Exception {
        fixture.close();
    }

    @Test
    void aHeadSentOneByteAtATimeIsClosedAfterTheRequestHeadTimeout() throws Exception {
        final double before = timeouts("request_head");
        final byte[] head = ("POST " + ECHO + " HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: " + GrpcWeb.PROTO
                             + "\r\nx-padding: " + "a".repeat(200)).getBytes(StandardCharsets.UTF_8);
        try (RawHttp1Connection slowloris = RawHttp1Connection.connect(fixture.port())) {
            final long start = System.nanoTime();
            boolean closed = false;
            for (int i = 0; i < head.length && !closed; i++) {
                try {
                    slowloris.send(new byte[] {head[i]});
                } catch (IOException e) {
                    closed = true; // Reset by the server while sending.
                    break;
                }
                closed = slowloris.closedByServer(Duration.ofMillis(300));
            }
            final Duration took = since(start);
            assertThat(closed).as("closed while the head was still arriving").isTrue();
            assertThat(took).isBetween(REQUEST_HEAD.minusMillis(100), REQUEST_HEAD.plus(PATIENCE));
        }
        assertThat(timeouts("request_head")).isGreaterThan(before);
    }

    @Test
    void aConnectionThatSendsNothingIsClosedAfterTheRequestHeadTimeout() throws Exception {
        try (RawHttp1Connection silent = RawHttp1Connection.connect(fixture.port())) {
            final long start = System.nanoTime();
            assertThat(silent.closedByServer(PATIENCE)).isTrue();
            assertThat(since(start)).isGreaterThanOrEqualTo(REQUEST_HEAD.minusMillis(100));
        }
    }

    @Test
    void anIdleHttp1ConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        final double before = timeouts("idle");
        try (RawHttp1Connection client = RawHttp1Connection.connect(fixture.port())) {
            client.send(echoRequest("first"));
            assertThat(client.readResponse().status()).isEqualTo(200);
            // Longer than request-head: between requests the idle timeout applies.
            final long start = System.nanoTime();
            assertThat(client.closedByServer(PATIENCE)).isTrue();
            assertThat(since(start)).isGreaterThanOrEqualTo(IDLE.minusMillis(100));
        }
        assertThat(timeouts("idle")).isGreaterThan(before);
    }

    @Test
    void anIdleHttp2ConnectionGetsGoAwayThenIsClosed() throws Exception {
        try (RawHttp2Connection client = RawHttp2Connection.connect(fixture.port())) {
            final int stream = client.send(client.post(ECHO, GrpcWeb.headers(GrpcWeb.PROTO)),
                                           GrpcWeb.frame(EchoRequest.newBuilder().setMessage("one").build()));
            assertThat(client.await(stream, PATIENCE).status()).isEqualTo(200);
            final long start = System.nanoTime();
            final RawHttp2Connection.GoAway goAway = client.awaitClosed(PATIENCE);
            assertThat(since(start)).isGreaterThanOrEqualTo(IDLE.minusMillis(100));
            assertThat(goAway).as("GOAWAY before the close").isNotNull();
            assertThat(goAway.errorCode()).isEqualTo(RawHttp2Connection.NO_ERROR);
            assertThat(goAway.lastStreamId()).isEqualTo(stream);
        }
    }

    @Test
    void anHttp2StreamAnsweredBeforeItsBodyEndedIsResetSoTheConnectionCanGoIdle() throws Exception {
        try (RawHttp2Connection client = RawHttp2Connection.connect(fixture.port())) {
            // Refused from its head (415), with a body the client never ends.
            final int refused = client.open(client.post(ECHO, new DefaultHttpHeaders().set("content-type",
                                                                                            "text/nonsense")));
            client.sendData(refused, new byte[] {1, 2, 3}, false);

            final RawHttp2Connection.StreamResult result = client.await(refused, PATIENCE);
            assertThat(result.status()).isEqualTo(415);
            // RFC 9113 §8.1: RST_STREAM(NO_ERROR) after a complete response asks the client to stop sending.
            final long deadline = System.nanoTime() + PATIENCE.toNanos();
            while (client.snapshot(refused).resetCode() == null && System.nanoTime() - deadline < 0) {
                Thread.sleep(10);
            }
            assertThat(client.snapshot(refused).resetCode()).isEqualTo(RawHttp2Connection.NO_ERROR);
            // With no stream left open the connection is idle, and goes after the idle timeout.
            final RawHttp2Connection.GoAway goAway = client.awaitClosed(IDLE.plus(PATIENCE));
            assertThat(goAway).isNotNull();
            assertThat(goAway.errorCode()).isEqualTo(RawHttp2Connection.NO_ERROR);
        }
    }

    @Test
    void anHttp2ConnectionThatOpensNoStreamGetsGoAwayAfterTheRequestHeadTimeout() throws Exception {
        try (RawHttp2Connection client = RawHttp2Connection.connect(fixture.port())) {
            final long start = System.nanoTime();
            final RawHttp2Connection.GoAway goAway = client.awaitClosed(PATIENCE);
            assertThat(since(start)).isLessThan(IDLE.plus(PATIENCE));
            assertThat(goAway).isNotNull();
            assertThat(goAway.errorCode()).isEqualTo(RawHttp2Connection.NO_ERROR);
            assertThat(goAway.debugData()).isEqualTo("request_head_timeout");
        }
    }

    @Test
    void aBodySentOneByteAtATimeGets408AfterTheRequestBodyTimeout() throws Exception {
        final double before = timeouts("request_body");
        try (RawHttp1Connection client = RawHttp1Connection.connect(fixture.port())) {
            // One message announced to fill the whole body, so that nothing reaches the upstream before it.
            final byte[] frameHeader = {0, 0, 0x0f, (byte) 0xff, (byte) 0xfb};
            client.send(RawHttp1Connection.request("POST", ECHO, fixture.port(),
                                                   Map.of("content-type", GrpcWeb.PROTO,
                                                          "content-length", String.valueOf(1 << 20)),
                                                   frameHeader));
            final long start = System.nanoTime();
            // Faster than request-body-idle, so only the total (request-body) can end it.
            try (Trickle trickle = new Trickle(client, Duration.ofMillis(300))) {
                final TestHttpClient.Response response = client.readResponse();
                final Duration took = since(start);
                assertThat(response.status()).isEqualTo(408);
                assertThat(response.headers().get("connection")).isEqualToIgnoringCase("close");
                assertThat(took).isBetween(REQUEST_BODY.minusMillis(100), REQUEST_BODY.plus(PATIENCE));
                assertThat(trickle.sent()).isGreaterThan(3);
            }
            assertThat(client.closedByServer(PATIENCE)).isTrue();
        }
        assertThat(timeouts("request_body")).isGreaterThan(before);
    }

    @Test
    void aBodyThatStopsGets408AfterTheRequestBodyIdleTimeout() throws Exception {
        try (RawHttp1Connection client = RawHttp1Connection.connect(fixture.port())) {
            final byte[] body = GrpcWeb.frame(EchoRequest.newBuilder().setMessage("cut short").build());
            client.send(RawHttp1Connection.request("POST", ECHO, fixture.port(),
                                                   Map.of("content-type", GrpcWeb.PROTO,
                                                          "content-length", String.valueOf(body.length + 10)),
                                                   body));
            final long start = System.nanoTime();
            assertThat(client.readResponse().status()).isEqualTo(408);
            assertThat(since(start))
                    .isBetween(REQUEST_BODY_IDLE.minusMillis(100), REQUEST_BODY);
            assertThat(client.closedByServer(PATIENCE)).isTrue();
        }
    }

    @Test
    void aConnectUnaryBodySentOneByteAtATimeOverHttp2ResetsOnlyItsStream() throws Exception {
        try (RawHttp2Connection client = RawHttp2Connection.connect(fixture.port())) {
            final DefaultHttpHeaders headers = new DefaultHttpHeaders();
            headers.add(ConnectWire.unaryHeaders("proto"));
            headers.set("content-length", String.valueOf(1 << 20));
            final int slow = client.open(client.post(ECHO, headers));
            final long start = System.nanoTime();
            int sent = 0;
            while (client.snapshot(slow).resetCode() == null && sent < 100) {
                client.sendData(slow, new byte[] {0}, false);
                sent++;
                Thread.sleep(300);
            }
            final Duration took = since(start);
            assertThat(client.snapshot(slow).resetCode()).isEqualTo(RawHttp2Connection.CANCEL);
            assertThat(took).isBetween(REQUEST_BODY.minusMillis(100), REQUEST_BODY.plus(PATIENCE));

            assertTheConnectionCarriesOn(client);
        }
    }

    @Test
    void wholeHttp2RequestsPassTheBodyTimerUntouched() throws Exception {
        try (RawHttp2Connection client = RawHttp2Connection.connect(fixture.port())) {
            // A Connect unary body in one DATA frame: timed while it arrives, then the timer is gone.
            final int unary = client.send(client.post(ECHO, ConnectWire.unaryHeaders("proto")),
                                          EchoRequest.newBuilder().setMessage("whole").build().toByteArray());
            final RawHttp2Connection.StreamResult result = client.await(unary, PATIENCE);
            assertThat(result.status()).isEqualTo(200);
            assertThat(EchoResponse.parseFrom(result.data()).getMessage()).isEqualTo("whole");
            // A request in one HEADERS frame with END_STREAM (no body at all) is answered too.
            final int get = client.send(client.headers("GET", ECHO + "?encoding=proto&message=",
                                                       new DefaultHttpHeaders()), null);
            assertThat(client.await(get, PATIENCE).status()).isPositive();
            assertThat(client.snapshot(get).resetCode()).isNull();
            assertThat(client.isOpen()).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void aQuietServerStreamOutlivesEveryTimeout(Transport transport) throws Exception {
        try (TestHttpClient client = fixture.connect(transport)) {
            // Gaps longer than request-head, idle and request-body-idle; in all longer than request-body.
            final TestHttpClient.Exchange exchange = client.open(
                    HttpMethod.POST, SERVER_STREAM, GrpcWeb.headers(GrpcWeb.PROTO));
            exchange.writeAndEnd(GrpcWeb.frame(
                    StreamRequest.newBuilder().setCount(3).setIntervalMs(2500).setMessage("tick").build()));
            final TestHttpClient.Response response = exchange.awaitResponse(Duration.ofSeconds(30));
            final GrpcWeb.Body body = GrpcWeb.parse(response.body());
            assertThat(body.trailer("grpc-status")).isEqualTo("0");
            assertThat(body.messages()).hasSize(3);
        }
    }

    @Test
    void anHttp2ClientStreamBetweenMessagesIsNeverCut() throws Exception {
        try (TestHttpClient client = fixture.connect(Transport.H2C)) {
            final TestHttpClient.Exchange exchange = client.open(
                    HttpMethod.POST, CLIENT_STREAM, GrpcWeb.headers(GrpcWeb.PROTO));
            exchange.write(GrpcWeb.frame(EchoRequest.newBuilder().setMessage("a").build()));
            Thread.sleep(REQUEST_BODY.plusMillis(500).toMillis());
            exchange.writeAndEnd(GrpcWeb.frame(EchoRequest.newBuilder().setMessage("b").build()));
            final GrpcWeb.Body body = GrpcWeb.parse(exchange.awaitResponse(Duration.ofSeconds(30)).body());
            assertThat(body.trailer("grpc-status")).isEqualTo("0");
            assertThat(body.messages(EchoResponse.parser()).get(0).getMessage()).isEqualTo("a,b");
        }
    }

    @Test
    void aGrpcWebMessageThatStopsHalfwayOverHttp2EndsOnlyItsCall() throws Exception {
        final double before = timeouts("request_body");
        try (RawHttp2Connection client = RawHttp2Connection.connect(fixture.port())) {
            final int stalled = client.open(client.post(CLIENT_STREAM, GrpcWeb.headers(GrpcWeb.PROTO)));
            // A frame header announcing 100 bytes, then 10 of them, then nothing: a call slot held by a client
            // that owes the rest of a message.
            final byte[] header = {0, 0, 0, 0, 100};
            client.sendData(stalled, GrpcWeb.concat(header, new byte[10]), false);
            final long start = System.nanoTime();

            final RawHttp2Connection.StreamResult result = client.await(stalled, PATIENCE);
            assertThat(since(start)).isBetween(REQUEST_BODY_IDLE.minusMillis(100),
                                               REQUEST_BODY_IDLE.plus(PATIENCE));
            assertThat(result.toResponse().headers().get("grpc-status")).isEqualTo("1"); // CANCELLED
            assertThat(result.toResponse().headers().get("grpc-message")).contains("request-body-idle");
            assertThat(timeouts("request_body")).isEqualTo(before + 1);

            assertTheConnectionCarriesOn(client);
        }
    }

    @Test
    void aBodyHeldBackByTheUpstreamIsNotTimedOut() throws Exception {
        final AtomicInteger received = new AtomicInteger();
        final CountDownLatch release = new CountDownLatch(1);
        final Server stalling = StallingService.serve(received, release);
        try (PorticoFixture portico =
                     PorticoFixture.startInFrontOf(stalling.getPort(), TIMEOUTS).awaitReady(READY);
             TestHttpClient client = portico.connect(Transport.HTTP1)) {
            final TestHttpClient.Exchange upload = client.open(
                    HttpMethod.POST, CLIENT_STREAM, GrpcWeb.headers(GrpcWeb.PROTO));
            final byte[] frame = GrpcWeb.frame(EchoRequest.newBuilder()
                    .setPayload(ByteString.copyFrom(new byte[16 * 1024])).build());
            final int messages = 1000; // 16 MiB: more than the upstream window and every buffer on the way.
            final AtomicLong sentBytes = new AtomicLong();
            for (int i = 0; i < messages; i++) {
                upload.writeNoWait(frame).addListener(f -> {
                    if (f.isSuccess()) {
                        sentBytes.addAndGet(frame.length);
                    }
                });
            }
            // Held back for longer than request-body-idle and request-body together.
            Thread.sleep(REQUEST_BODY.plus(REQUEST_BODY_IDLE).plusSeconds(1).toMillis());
            assertThat(sentBytes.get()).isLessThan((long) messages * frame.length);
            assertThat(received.get()).isZero();
            assertThat(client.isOpen()).isTrue();

            release.countDown();
            upload.end();
            final GrpcWeb.Body body = GrpcWeb.parse(upload.awaitResponse(Duration.ofSeconds(30)).body());
            assertThat(body.trailer("grpc-status")).isEqualTo("0");
            assertThat(body.messages(EchoResponse.parser()).get(0).getIndex()).isEqualTo(messages);
        } finally {
            stalling.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static byte[] echoRequest(String message) {
        final byte[] body = GrpcWeb.frame(EchoRequest.newBuilder().setMessage(message).build());
        return RawHttp1Connection.request("POST", ECHO, fixture.port(),
                                          Map.of("content-type", GrpcWeb.PROTO,
                                                 "content-length", String.valueOf(body.length)), body);
    }

    private static Duration since(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    /** The connection and its other streams carry on: a new call on it is served. */
    private static void assertTheConnectionCarriesOn(RawHttp2Connection client) throws Exception {
        final int next = client.send(client.post(ECHO, GrpcWeb.headers(GrpcWeb.PROTO)),
                                     GrpcWeb.frame(EchoRequest.newBuilder().setMessage("next").build()));
        final GrpcWeb.Body body = GrpcWeb.parse(client.await(next, PATIENCE).data());
        assertThat(body.messages(EchoResponse.parser()).get(0).getMessage()).isEqualTo("next");
        assertThat(client.isOpen()).isTrue();
    }

    private static double timeouts(String kind) throws Exception {
        return PrometheusScrape.fetch(fixture.adminPort())
                               .value("portico_timeouts_total", Map.of("kind", kind)).orElseThrow();
    }

    /** Sends one body byte per interval from its own thread, until closed or the server stops it. */
    private static final class Trickle implements AutoCloseable {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicInteger sent = new AtomicInteger();
        private final Thread thread;

        Trickle(RawHttp1Connection connection, Duration interval) {
            thread = new Thread(() -> {
                for (int i = 0; i < 100 && running.get(); i++) {
                    try {
                        connection.send(new byte[] {0});
                        sent.incrementAndGet();
                        Thread.sleep(interval.toMillis());
                    } catch (IOException e) {
                        return; // The server closed the connection.
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }, "trickle");
            thread.start();
        }

        int sent() {
            return sent.get();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(5000);
        }
    }
}
