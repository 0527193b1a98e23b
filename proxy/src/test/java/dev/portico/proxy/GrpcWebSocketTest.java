package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.EchoResponse;
import dev.portico.demo.v1.FailRequest;
import dev.portico.demo.v1.StreamRequest;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.GrpcWebSocketClient;
import dev.portico.proxy.testing.StallingService;
import io.grpc.Server;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.PrometheusScrape;
import com.google.protobuf.ByteString;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * gRPC-Web over WebSocket, byte for byte as improbable-eng's client and grpcwebproxy speak it, from a raw
 * WebSocket client (the JDK's) against Portico and its demo backend: every call type, metadata, deadlines,
 * errors, cancellation by closing, origins, and every kind of bad input answered with a status and a close
 * while the server goes on serving.
 */
class GrpcWebSocketTest {
    private static final String SERVICE = "/portico.demo.v1.DemoService/";
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static PorticoFixture fixture;

    @BeforeAll
    static void start() throws Exception {
        fixture = PorticoFixture.start("""
                portico.websocket.max-frame-size = 64 KiB
                portico.websocket.allowed-origins = ["https://app.example.com"]
                portico.websocket.close-timeout = 2s
                """);
    }

    @AfterAll
    static void stop() throws Exception {
        fixture.close();
    }

    private static EchoRequest echo(String message) {
        return EchoRequest.newBuilder().setMessage(message).build();
    }

    @Test
    void unaryCallCarriesMetadataBothWaysAndEndsWithTrailersAndANormalClose() throws Exception {
        try (GrpcWebSocketClient ws = GrpcWebSocketClient.open(fixture.port(), SERVICE + "Echo")) {
            assertThat(ws.subprotocol()).isEqualTo("grpc-websockets");
            ws.sendHeaders("x-echo-foo: bar").sendMessage(echo("hi")).finishSend();
            final GrpcWebSocketClient.Response response = ws.awaitResponse(WAIT);

            assertThat(response.headers().get("content-type")).isEqualTo("application/grpc-web+proto");
            assertThat(response.headers().get("x-echo-foo")).isEqualTo("bar");
            assertThat(response.messages()).hasSize(1);
            final EchoResponse answer = EchoResponse.parseFrom(response.messages().get(0));
            assertThat(answer.getMessage()).isEqualTo("hi");
            assertThat(answer.getMetadataMap()).containsEntry("x-echo-foo", "bar")
                                               .doesNotContainKey("sec-websocket-key");
            assertThat(response.trailer("grpc-status")).isEqualTo("0");
            assertThat(response.trailer("x-trailer-foo")).isEqualTo("bar");
            assertThat(response.closeCode()).isEqualTo(1000);
            // The header frame, the message and the trailer frame each came as a WebSocket message of its own.
            assertThat(response.rawMessages()).hasSize(3);
        }
        final PrometheusScrape metrics = PrometheusScrape.fetch(fixture.adminPort());
        assertThat(metrics.value("portico_requests_total", Map.of("protocol", "grpc-websocket", "code", "OK",
                                                                  "method", "portico.demo.v1.DemoService/Echo"))
                          .orElse(0)).as("calls counted under protocol grpc-websocket").isGreaterThanOrEqualTo(1);
    }

    @Test
    void bidiStreamAnswersEachMessageBeforeTheNextIsSent() throws Exception {
        try (GrpcWebSocketClient ws = GrpcWebSocketClient.open(fixture.port(), SERVICE + "BidiStream")) {
            ws.sendHeaders();
            for (int i = 0; i < 3; i++) {
                ws.sendMessage(echo("m" + i));
                if (i == 0) {
                    // grpc-java sends the response headers with the first message.
                    final byte[] head = ws.nextMessage(WAIT);
                    assertThat(head).as("the header frame").isNotNull();
                    assertThat(head[0] & 0xff).isEqualTo(0x80);
                }
                final byte[] message = ws.nextMessage(WAIT);
                assertThat(message).as("the answer to message %d, while the request stream is open", i).isNotNull();
                final EchoResponse answer = EchoResponse.parseFrom(java.util.Arrays.copyOfRange(message, 5,
                                                                                                 message.length));
                assertThat(answer.getMessage()).isEqualTo("m" + i);
                assertThat(answer.getIndex()).isEqualTo(i);
            }
            ws.finishSend();
            final GrpcWebSocketClient.Response rest = ws.awaitResponse(WAIT);
            assertThat(rest.closeCode()).isEqualTo(1000);
            assertThat(new String(rest.rawMessages().get(0), java.nio.charset.StandardCharsets.US_ASCII))
                    .contains("grpc-status: 0\r\n");
        }
    }

    @Test
    void clientStreamCollectsEveryMessage() throws Exception {
        try (GrpcWebSocketClient ws = GrpcWebSocketClient.open(fixture.port(), SERVICE + "ClientStream")) {
            ws.sendHeaders().sendMessage(echo("a")).sendMessage(echo("b")).sendMessage(echo("c")).finishSend();
            final GrpcWebSocketClient.Response response = ws.awaitResponse(WAIT);
            assertThat(response.status()).isEqualTo("0");
            final EchoResponse answer = EchoResponse.parseFrom(response.messages().get(0));
            assertThat(answer.getMessage()).isEqualTo("a,b,c");
            assertThat(answer.getIndex()).isEqualTo(3);
        }
    }

    @Test
    void aFrameSplitAcrossDataMessagesIsReassembled() throws Exception {
        final byte[] frame = dev.portico.proxy.testing.GrpcWeb.frame(echo("split"));
        try (GrpcWebSocketClient ws = GrpcWebSocketClient.open(fixture.port(), SERVICE + "Echo")) {
            ws.sendHeaders();
            ws.sendBinary(dev.portico.proxy.testing.GrpcWeb.concat(new byte[] {0},
                                                                  java.util.Arrays.copyOfRange(frame, 0, 3)));
            ws.sendBinary(dev.portico.proxy.testing.GrpcWeb.concat(new byte[] {0},
                                                                  java.util.Arrays.copyOfRange(frame, 3, frame.length)));
            ws.finishSend();
            final GrpcWebSocketClient.Response response = ws.awaitResponse(WAIT);
            assertThat(EchoResponse.parseFrom(response.messages().get(0)).getMessage()).isEqualTo("split");
        }
    }

    @Test
    void grpcTimeoutInTheHeaderMessageIsTheDeadline() throws Exception {
        try (GrpcWebSocketClient ws = GrpcWebSocketClient.open(fixture.port(), SERVICE + "Echo")) {
            final long start = System.nanoTime();
            ws.sendHeaders("grpc-timeout: 300m")
              .sendMessage(EchoRequest.newBuilder().setMessage("slow").setSleepMs(10_000).build()).finishSend();
            final GrpcWebSocketClient.Response response = ws.awaitResponse(WAIT);
            assertThat(response.status()).isEqualTo("4");
            // Far sooner than the 10 s the service sleeps (with room for a busy machine): the deadline ended it.
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void anErrorWithDetailsComesInTheTrailers() throws Exception {
        try (GrpcWebSocketClient ws = GrpcWebSocketClient.open(fixture.port(), SERVICE + "Fail")) {
            ws.sendHeaders()
              .sendMessage(FailRequest.newBuilder().setCode(3).setMessage("bad 100%").setWithDetails(true).build())
              .finishSend();
            final GrpcWebSocketClient.Response response = ws.awaitResponse(WAIT);
            // Trailers-only: the content type in the header frame, the status in the trailer frame.
            assertThat(response.headers().get("content-type")).isEqualTo("application/grpc-web+proto");
            assertThat(response.headers().get("grpc-status")).isNull();
            assertThat(response.status()).isEqualTo("3");
            assertThat(response.trailer("grpc-message")).isEqualTo("bad 100%25");
            assertThat(response.trailer("grpc-status-details-bin")).isNotEmpty();
            assertThat(response.closeCode()).isEqualTo(1000);
        }
    }

    @Test
    void closingTheWebSocketCancelsTheUpstreamCall() throws Exception {
        final int cancelledBefore = fixture.backend().service().cancelledCalls();
        try (GrpcWebSocketClient ws = GrpcWebSocketClient.open(fixture.port(), SERVICE + "ServerStream")) {
            ws.sendHeaders()
              .sendMessage(StreamRequest.newBuilder().setCount(1000).setIntervalMs(50).build())
              .finishSend();
            assertThat(ws.nextMessage(WAIT)).as("header frame").isNotNull();
            assertThat(ws.nextMessage(WAIT)).as("first message").isNotNull();
            ws.sendClose();
            assertThat(ws.awaitClose(WAIT)).isEqualTo(1000);
            await(() -> fixture.backend().service().cancelledCalls() > cancelledBefore);
        }
    }

    @Test
    void anOriginNotAllowedIsRefusedAtTheUpgradeAndAnAllowedOneOrTheSameOriginIsNot() throws Exception {
        assertThatThrownBy(() -> GrpcWebSocketClient.open(fixture.port(), SERVICE + "Echo",
                                                          Map.of("Origin", "https://evil.example.com")))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(WebSocketHandshakeException.class)
                .satisfies(e -> assertThat(((WebSocketHandshakeException) e.getCause()).getResponse().statusCode())
                        .isEqualTo(403));
        for (String origin : new String[] {"https://app.example.com", "http://127.0.0.1:" + fixture.port()}) {
            try (GrpcWebSocketClient ws = GrpcWebSocketClient.open(fixture.port(), SERVICE + "Echo",
                                                                   Map.of("Origin", origin))) {
                ws.sendHeaders().sendMessage(echo(origin)).finishSend();
                assertThat(ws.awaitResponse(WAIT).status()).as(origin).isEqualTo("0");
            }
        }
    }

    @Test
    void badInputGetsAStatusAndACloseAndTheServerGoesOnServing() throws Exception {
        // A text message first.
        assertBadInput(ws -> ws.sendText("content-type: application/grpc-web+proto\r\n"), "3", 1003);
        // Data before the headers: the first message is not a header block.
        assertBadInput(ws -> ws.sendMessage(echo("too early")), "3", 1002);
        // A text content type.
        assertBadInput(ws -> ws.sendBinary("content-type: application/grpc-web-text\r\n".getBytes()), "3", 1002);
        // An unknown control byte.
        assertBadInput(ws -> ws.sendHeaders().sendBinary(new byte[] {7, 1, 2}), "3", 1002);
        // An empty message after the headers.
        assertBadInput(ws -> ws.sendHeaders().sendBinary(new byte[0]), "3", 1002);
        // A frame over max-frame-size (64 KiB here).
        assertBadInput(ws -> ws.sendHeaders().sendBinary(new byte[70 * 1024]), "8", 1009);
        // A message after finish-send, while the response still streams.
        assertBadInput(ws -> ws.sendHeaders()
                               .sendMessage(StreamRequest.newBuilder().setCount(100).setIntervalMs(50).build())
                               .finishSend()
                               .sendMessage(echo("after the end")), "3", 1002);
        // A path that names no method: UNIMPLEMENTED, as for any gRPC-Web call. Answered at the header block,
        // and the socket closed: a finish-send after it could find the output closed already.
        try (GrpcWebSocketClient ws = GrpcWebSocketClient.open(fixture.port(), "/not-a-method")) {
            ws.sendHeaders();
            assertThat(ws.awaitResponse(WAIT).status()).isEqualTo("12");
        }

        try (GrpcWebSocketClient ws = GrpcWebSocketClient.open(fixture.port(), SERVICE + "Echo")) {
            ws.sendHeaders().sendMessage(echo("still serving")).finishSend();
            assertThat(ws.awaitResponse(WAIT).status()).isEqualTo("0");
        }
    }

    @Test
    void aPingInTheMiddleOfACallIsAnsweredAndTheCallGoesOn() throws Exception {
        try (GrpcWebSocketClient ws = GrpcWebSocketClient.open(fixture.port(), SERVICE + "ClientStream")) {
            ws.sendHeaders().sendMessage(echo("before"));
            assertThat(ws.ping(new byte[] {1, 2, 3}).get(10, TimeUnit.SECONDS)).containsExactly(1, 2, 3);
            ws.sendMessage(echo("after")).finishSend();
            final GrpcWebSocketClient.Response response = ws.awaitResponse(WAIT);
            assertThat(EchoResponse.parseFrom(response.messages().get(0)).getMessage()).isEqualTo("before,after");
        }
    }

    @Test
    void aWebSocketThatSendsNoHeaderMessageIsClosedAfterTheRequestHeadTimeout() throws Exception {
        try (PorticoFixture strict = PorticoFixture.start("portico.listen.timeouts.request-head = 1s");
             GrpcWebSocketClient ws = GrpcWebSocketClient.open(strict.port(), SERVICE + "Echo")) {
            final long start = System.nanoTime();
            // RFC 6455 section 7.4.1: 1008, the endpoint's policy.
            assertThat(ws.awaitClose(WAIT)).isEqualTo(1008);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(900));
        }
    }

    @Test
    void shutdownEndsAWebSocketCallAfterTheGracePeriodWithUnavailableAndAClose() throws Exception {
        final PorticoFixture draining = PorticoFixture.start("portico.listen.shutdown-grace-period = 1s");
        final Thread closer = new Thread(() -> {
            try {
                draining.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, "portico-close");
        try (GrpcWebSocketClient ws = GrpcWebSocketClient.open(draining.port(), SERVICE + "ServerStream");
             GrpcWebSocketClient idle = GrpcWebSocketClient.open(draining.port(), SERVICE + "Echo")) {
            ws.sendHeaders()
              .sendMessage(StreamRequest.newBuilder().setCount(1000).setIntervalMs(50).build())
              .finishSend();
            draining.awaitActiveCalls(1);
            final long start = System.nanoTime();
            closer.start();
            // A WebSocket without a call yet goes at once; the call gets the grace period, then UNAVAILABLE.
            assertThat(idle.awaitClose(WAIT)).isEqualTo(1001);
            final GrpcWebSocketClient.Response response = ws.awaitResponse(WAIT);
            assertThat(response.status()).isEqualTo("14");
            assertThat(response.closeCode()).isEqualTo(1000);
            assertThat(response.messages()).isNotEmpty();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(900));
        } finally {
            closer.join(30_000);
        }
    }

    @Test
    void aClientThatStopsReadingStopsTheUpstreamStream() throws Exception {
        final int messages = 3000; // 48 MiB: far more than any buffer on the way.
        try (GrpcWebSocketClient ws = GrpcWebSocketClient.open(fixture.port(), SERVICE + "ServerStream")) {
            final long streamedBefore = fixture.backend().service().streamedMessages();
            ws.sendHeaders()
              .sendMessage(StreamRequest.newBuilder().setCount(messages).setSize(16 * 1024).build())
              .finishSend();
            ws.setReading(false);
            await(() -> fixture.backend().service().streamedMessages() > streamedBefore);
            // The backend's sent messages stop growing: Portico asks for more only while the socket is writable.
            final long stalledAt = FlowControlTest.awaitStable(() -> fixture.backend().service().streamedMessages());
            assertThat(stalledAt - streamedBefore).isLessThan(messages / 2);
            ws.setReading(true);
            final GrpcWebSocketClient.Response rest = ws.awaitResponse(Duration.ofSeconds(30));
            assertThat(rest.trailer("grpc-status")).isEqualTo("0");
            assertThat(fixture.backend().service().streamedMessages() - streamedBefore).isEqualTo(messages);
        }
    }

    @Test
    void aSlowUpstreamStopsPorticoReadingWebSocketFrames() throws Exception {
        final AtomicInteger received = new AtomicInteger();
        final CountDownLatch release = new CountDownLatch(1);
        final Server stalling = StallingService.serve(received, release);
        final AtomicLong sentBytes = new AtomicLong();
        final byte[] message = GrpcWeb.concat(new byte[] {0}, GrpcWeb.frame(EchoRequest.newBuilder()
                .setPayload(ByteString.copyFrom(new byte[16 * 1024])).build()));
        try (PorticoFixture stalled = PorticoFixture.startInFrontOf(stalling.getPort(), "");
             GrpcWebSocketClient ws = GrpcWebSocketClient.open(stalled.port(), SERVICE + "ClientStream")) {
            ws.sendHeaders();
            final Thread sender = new Thread(() -> {
                try {
                    for (int i = 0; i < 3000; i++) {
                        ws.sendBinary(message);
                        sentBytes.addAndGet(message.length);
                    }
                } catch (Exception e) {
                    // The socket is aborted at the end of the test while this send waits: expected.
                }
            }, "websocket-sender");
            sender.setDaemon(true);
            sender.start();
            // Portico reads frames only while the upstream takes messages: TCP pushes back on the client.
            final long stalledAt = FlowControlTest.awaitStable(sentBytes::get);
            assertThat(stalledAt).isLessThan(16L * 1024 * 1024);
            assertThat(received.get()).isZero();
        } finally {
            release.countDown();
            stalling.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @FunctionalInterface
    private interface Input {
        void send(GrpcWebSocketClient ws) throws Exception;
    }

    private static void assertBadInput(Input input, String status, int closeCode) throws Exception {
        try (GrpcWebSocketClient ws = GrpcWebSocketClient.open(fixture.port(), SERVICE + "ServerStream")) {
            input.send(ws);
            final GrpcWebSocketClient.Response response = ws.awaitResponse(WAIT);
            assertThat(response.status()).as("grpc-status").isEqualTo(status);
            assertThat(response.trailer("grpc-message")).as("grpc-message").isNotEmpty();
            assertThat(response.closeCode()).as("close code").isEqualTo(closeCode);
        }
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(condition.getAsBoolean()).as("condition within 5 s").isTrue();
    }
}
