package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.EchoResponse;
import dev.portico.demo.v1.StreamRequest;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.StallingService;
import dev.portico.proxy.testing.TestHttpClient;
import dev.portico.proxy.testing.Transport;
import io.grpc.Server;
import io.netty.handler.codec.http.HttpMethod;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Backpressure both ways: Portico buffers a bounded amount and passes slowness on, never queueing it. */
class FlowControlTest {
    private static final int MESSAGE_BYTES = 16 * 1024;
    private static final int MESSAGES = 3000; // 48 MiB in all: far more than any buffer on the way.

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void aClientThatStopsReadingStopsTheUpstreamStream(Transport transport) throws Exception {
        try (PorticoFixture fixture = PorticoFixture.start("");
             TestHttpClient client = fixture.connect(transport)) {
            final TestHttpClient.Exchange exchange = client.open(
                    HttpMethod.POST, "/portico.demo.v1.DemoService/ServerStream", GrpcWeb.headers(GrpcWeb.PROTO));
            exchange.writeAndEnd(GrpcWeb.frame(
                    StreamRequest.newBuilder().setCount(MESSAGES).setSize(MESSAGE_BYTES).build()));
            final byte[] first = exchange.nextChunk(Duration.ofSeconds(5));
            assertThat(first).isNotNull();
            exchange.setReading(false);

            // Sent messages stop growing while the client does not read: nothing is queued without bound.
            final long stalledAt = awaitStable(() -> fixture.backend().service().streamedMessages());
            assertThat(stalledAt).isLessThan(MESSAGES / 2);

            exchange.setReading(true);
            final TestHttpClient.Response rest = exchange.awaitResponse(Duration.ofSeconds(30));
            final GrpcWeb.Body body = GrpcWeb.parse(GrpcWeb.concat(first, rest.body()));
            assertThat(body.trailer("grpc-status")).isEqualTo("0");
            assertThat(body.messages()).hasSize(MESSAGES);
            assertThat(fixture.backend().service().streamedMessages()).isEqualTo(MESSAGES);
        }
    }

    @Test
    void aSlowUpstreamStopsPorticoReadingTheRequestBodyButNotOtherStreams() throws Exception {
        final AtomicInteger received = new AtomicInteger();
        final CountDownLatch release = new CountDownLatch(1);
        final Server stalling = StallingService.serve(received, release);
        try (PorticoFixture fixture = PorticoFixture.startInFrontOf(stalling.getPort(), "");
             TestHttpClient client = fixture.connect(Transport.H2C)) {
            final TestHttpClient.Exchange upload = client.open(
                    HttpMethod.POST, "/portico.demo.v1.DemoService/ClientStream", GrpcWeb.headers(GrpcWeb.PROTO));
            final byte[] frame = GrpcWeb.frame(EchoRequest.newBuilder()
                    .setPayload(ByteString.copyFrom(new byte[MESSAGE_BYTES])).build());
            final AtomicLong sentBytes = new AtomicLong();
            for (int i = 0; i < MESSAGES; i++) {
                upload.writeNoWait(frame).addListener(f -> {
                    if (f.isSuccess()) {
                        sentBytes.addAndGet(frame.length);
                    }
                });
            }

            // Portico reads only while the upstream takes messages: the client's flow-control window stays
            // shut, and only a bounded part of the 48 MiB leaves the client.
            final long stalledAt = awaitStable(sentBytes::get);
            assertThat(stalledAt).isLessThan(8L * 1024 * 1024);
            assertThat(received.get()).isZero();

            // The connection is not blocked by the stalled stream.
            final TestHttpClient.Response other = client.call(
                    HttpMethod.POST, "/portico.demo.v1.DemoService/Echo", GrpcWeb.headers(GrpcWeb.PROTO),
                    GrpcWeb.frame(EchoRequest.newBuilder().setMessage("other").build()));
            assertThat(GrpcWeb.parse(other.body()).messages(EchoResponse.parser()).get(0).getMessage())
                    .isEqualTo("other");

            release.countDown();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (sentBytes.get() < (long) MESSAGES * frame.length && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            upload.end();
            final GrpcWeb.Body body = GrpcWeb.parse(upload.awaitResponse(Duration.ofSeconds(30)).body());
            assertThat(body.trailer("grpc-status")).isEqualTo("0");
            assertThat(body.messages(EchoResponse.parser()).get(0).getIndex()).isEqualTo(MESSAGES);
        } finally {
            stalling.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** Waits until the value stops changing for half a second, and returns it. */
    /** Waits until {@code value} stops changing (two reads 500 ms apart agree) and returns it. */
    static long awaitStable(java.util.function.LongSupplier value) throws InterruptedException {
        long last = -1;
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            final long now = value.getAsLong();
            if (now == last) {
                return now;
            }
            last = now;
            Thread.sleep(500);
        }
        throw new AssertionError("still changing after 10 s: " + last);
    }
}
