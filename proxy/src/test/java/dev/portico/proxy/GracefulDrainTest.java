package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.StreamRequest;
import dev.portico.proxy.testing.ConnectWire;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.GrpcWebResponse;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.RawHttp1Connection;
import dev.portico.proxy.testing.RawHttp2Connection;
import dev.portico.proxy.testing.TestHttpClient;
import dev.portico.proxy.testing.Transport;
import io.netty.handler.codec.http.HttpMethod;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Shutdown drains: readiness turns 503 at once while the admin listener stays up, HTTP/2 clients get the
 * two-step GOAWAY (2^31-1 first, then the last stream processed) and open no new streams there, HTTP/1.1
 * responses carry {@code Connection: close} and idle HTTP/1.1 connections close, calls that end within the
 * grace period end normally, and the ones still open at its end get UNAVAILABLE before their connection
 * closes. (That the process then exits 0 on SIGTERM is PackagedJarIT's.)
 */
class GracefulDrainTest {
    private static final String SERVER_STREAM = "/portico.demo.v1.DemoService/ServerStream";
    private static final String ECHO = "/portico.demo.v1.DemoService/Echo";
    private static final Duration GRACE = Duration.ofSeconds(2);

    private PorticoFixture portico;

    @AfterEach
    void stop() throws Exception {
        if (portico != null) {
            portico.close();
        }
    }

    @Test
    void shutdownDrainsHttp2AndHttp1ClientsAndEndsLeftoverCallsWithUnavailable() throws Exception {
        portico = PorticoFixture.start("portico.listen.shutdown-grace-period = " + GRACE.toMillis() + "ms");
        final HttpClient admin = HttpClient.newHttpClient();
        awaitReady(admin);

        try (RawHttp2Connection h2 = RawHttp2Connection.connect(portico.port());
             TestHttpClient http1 = portico.connect(Transport.HTTP1);
             TestHttpClient http1Unary = portico.connect(Transport.HTTP1);
             RawHttp1Connection idleHttp1 = RawHttp1Connection.connect(portico.port())) {
            // Ends within the grace period: 4 messages 300 ms apart.
            final int shortStream = h2.send(h2.post(SERVER_STREAM, GrpcWeb.headers(GrpcWeb.PROTO)),
                                            streamRequest(4, 300));
            // Would run for 20 s: still open when the grace period ends.
            final int longStream = h2.send(h2.post(SERVER_STREAM, GrpcWeb.headers(GrpcWeb.PROTO)),
                                           streamRequest(100, 200));
            // The same in Connect's streaming protocol, and a Connect unary call whose answer would take 20 s.
            final int longConnectStream = h2.send(h2.post(SERVER_STREAM, ConnectWire.streamHeaders("proto")),
                    ConnectWire.envelope(0, StreamRequest.newBuilder().setCount(100).setIntervalMs(200).build()
                                                     .toByteArray()));
            final int longConnectUnary = h2.send(h2.post(ECHO, ConnectWire.unaryHeaders("proto")),
                    EchoRequest.newBuilder().setMessage("too slow").setSleepMs(20_000).build().toByteArray());
            final TestHttpClient.Exchange http1Stream = http1.open(HttpMethod.POST, SERVER_STREAM,
                                                                    GrpcWeb.headers(GrpcWeb.PROTO));
            http1Stream.writeAndEnd(streamRequest(4, 300));
            // Its response head leaves only when the upstream answers, after the drain began.
            final TestHttpClient.Exchange http1Slow = http1Unary.open(HttpMethod.POST, ECHO,
                                                                       GrpcWeb.headers(GrpcWeb.PROTO));
            http1Slow.writeAndEnd(GrpcWeb.frame(EchoRequest.newBuilder().setMessage("slow").setSleepMs(800)
                                                        .build()));
            portico.awaitActiveCalls(6);

            final long shutdownStarted = System.nanoTime();
            final CompletableFuture<Void> shutdown = CompletableFuture.runAsync(portico.portico()::close);

            // HTTP/2: the first GOAWAY names 2^31-1 (nothing refused yet), the second the last stream opened.
            awaitGoAways(h2, 2);
            final List<RawHttp2Connection.GoAway> goAways = h2.goAways();
            assertThat(goAways.get(0).lastStreamId()).isEqualTo(Integer.MAX_VALUE);
            assertThat(goAways.get(0).errorCode()).isEqualTo(RawHttp2Connection.NO_ERROR);
            assertThat(goAways.get(1).lastStreamId()).isEqualTo(longConnectUnary);
            assertThat(goAways.get(1).errorCode()).isEqualTo(RawHttp2Connection.NO_ERROR);
            // Readiness says so at once; the admin listener is still up to say it.
            assertThat(readyz(admin)).isEqualTo(503);
            // An idle HTTP/1.1 connection is closed.
            assertThat(idleHttp1.closedByServer(Duration.ofSeconds(5))).isTrue();

            // The calls that end within the grace period end normally.
            final GrpcWebResponse shortResult = GrpcWebResponse.of(
                    h2.await(shortStream, Duration.ofSeconds(10)).toResponse(), GrpcWeb.PROTO);
            assertThat(shortResult.code()).isZero();
            assertThat(shortResult.messages()).hasSize(4);
            final TestHttpClient.Response http1Result = http1Stream.awaitResponse(Duration.ofSeconds(10));
            assertThat(GrpcWebResponse.of(http1Result, GrpcWeb.PROTO).code()).isZero();
            assertThat(awaitClosed(http1)).as("HTTP/1.1 connection closed after its response").isTrue();
            final TestHttpClient.Response slowResult = http1Slow.awaitResponse(Duration.ofSeconds(10));
            assertThat(slowResult.headers().get("connection")).isEqualTo("close");
            assertThat(GrpcWebResponse.of(slowResult, GrpcWeb.PROTO).code()).isZero();
            assertThat(awaitClosed(http1Unary)).as("HTTP/1.1 connection closed after its response").isTrue();

            // The one still open when the grace period ends gets UNAVAILABLE, in its trailer frame.
            final RawHttp2Connection.StreamResult cut = h2.await(longStream, Duration.ofSeconds(10));
            final Duration cutAfter = Duration.ofNanos(System.nanoTime() - shutdownStarted);
            assertThat(cut.endStream()).as("%s; connection open %s; %s", cut, h2.isOpen(), h2.goAways()).isTrue();
            final GrpcWebResponse longResult = GrpcWebResponse.of(cut.toResponse(), GrpcWeb.PROTO);
            assertThat(longResult.code()).isEqualTo(14);
            assertThat(longResult.message()).isEqualTo("Portico is shutting down");
            assertThat(longResult.messages()).isNotEmpty();
            assertThat(cutAfter).isGreaterThanOrEqualTo(GRACE);
            final ConnectWire.Stream connectCut = ConnectWire.parseStream(
                    h2.await(longConnectStream, Duration.ofSeconds(10)).data());
            assertThat(connectCut.messages()).isNotEmpty();
            assertThat(connectCut.end().getAsJsonObject("error").get("code").getAsString()).isEqualTo("unavailable");
            final RawHttp2Connection.StreamResult unaryCut = h2.await(longConnectUnary, Duration.ofSeconds(10));
            assertThat(unaryCut.status()).isEqualTo(503);
            assertThat(ConnectWire.json(unaryCut.data()).get("code").getAsString()).isEqualTo("unavailable");

            assertThat(h2.closesWithin(Duration.ofSeconds(10))).isTrue();
            shutdown.get();
        }
    }

    @Test
    void streamsOpenedAfterTheFinalGoAwayAreNotServed() throws Exception {
        portico = PorticoFixture.start("portico.listen.shutdown-grace-period = " + GRACE.toMillis() + "ms");
        try (RawHttp2Connection h2 = RawHttp2Connection.connect(portico.port())) {
            final int held = h2.send(h2.post(SERVER_STREAM, GrpcWeb.headers(GrpcWeb.PROTO)),
                                     streamRequest(3, 500));
            portico.awaitActiveCalls(1);
            final CompletableFuture<Void> shutdown = CompletableFuture.runAsync(portico.portico()::close);
            awaitGoAways(h2, 2);

            final int late = h2.send(h2.post(ECHO, GrpcWeb.headers(GrpcWeb.PROTO)), new byte[] {0, 0, 0, 0, 0});

            // Refused (safe to retry elsewhere, RFC 9113 §8.7), never served.
            h2.staysSilent(late, Duration.ofMillis(500));
            final RawHttp2Connection.StreamResult refused = h2.snapshot(late);
            assertThat(refused.headers()).isEmpty();
            assertThat(refused.resetCode()).isEqualTo(RawHttp2Connection.REFUSED_STREAM);
            final RawHttp2Connection.StreamResult heldResult = h2.await(held, Duration.ofSeconds(10));
            assertThat(heldResult.endStream()).as("%s, connection open %s, %s", heldResult, h2.isOpen(), h2.goAways()).isTrue();
            assertThat(GrpcWebResponse.of(heldResult.toResponse(), GrpcWeb.PROTO).code()).isZero();
            assertThat(portico.backend().service().echoCalls()).isZero();
            shutdown.get();
        }
    }

    private void awaitReady(HttpClient admin) throws Exception {
        final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (readyz(admin) != 200) {
            assertThat(System.nanoTime() - deadline).as("Portico becomes ready").isNegative();
            Thread.sleep(20);
        }
    }

    private int readyz(HttpClient admin) throws Exception {
        return admin.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + portico.adminPort() + "/readyz"))
                                  .build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static byte[] streamRequest(int count, int intervalMillis) {
        return GrpcWeb.frame(StreamRequest.newBuilder().setCount(count).setIntervalMs(intervalMillis).build());
    }

    private static boolean awaitClosed(TestHttpClient client) throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (client.isOpen() && System.nanoTime() - deadline < 0) {
            Thread.sleep(10);
        }
        return !client.isOpen();
    }

    private static void awaitGoAways(RawHttp2Connection h2, int count) throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (h2.goAways().size() < count) {
            assertThat(System.nanoTime() - deadline).as("%d GOAWAY frames arrive", count).isNegative();
            Thread.sleep(10);
        }
    }
}
