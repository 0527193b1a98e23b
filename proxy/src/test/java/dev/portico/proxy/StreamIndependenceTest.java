package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.ListenableFuture;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.GrpcWebResponse;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.PrometheusScrape;
import dev.portico.proxy.testing.RawHttp2Connection;
import dev.portico.proxy.testing.TestBackend;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The streams of one HTTP/2 connection are independent (RFC 9113 section 5.4.2): a stream Portico refuses
 * (over {@code max-concurrent-streams}) or rejects (bad headers) is answered alone, whatever the client had
 * already sent on it, and the connection and its other streams carry on.
 */
class StreamIndependenceTest {
    private static final String UNARY = "/test.Echo/Unary";
    private static final int MAX_CONCURRENT_STREAMS = 1000;
    /** Small, so that refused streams' bodies can add up to more than it. */
    private static final int CONNECTION_WINDOW_BYTES = 256 * 1024;
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private static TestBackend backend;
    private static PorticoFixture portico;

    @BeforeAll
    static void start() throws Exception {
        backend = TestBackend.start("held", "127.0.0.1", 0);
        portico = PorticoFixture.startInFrontOf(backend.port(),
                "portico.limits.max-concurrent-streams = " + MAX_CONCURRENT_STREAMS + "\n"
                + "portico.flow-control { http2-connection-window-bytes = " + CONNECTION_WINDOW_BYTES
                + ", http2-initial-window-bytes = 64 KiB }\n"
                // Not about health: no Watch timeout on a loaded machine marks the backend down.
                + "portico.upstream.health-check.enabled = false\n");
    }

    @AfterAll
    static void stop() throws Exception {
        portico.close();
        backend.close();
    }

    @AfterEach
    void answerHeldCalls() {
        backend.release();
    }

    @Test
    void twoThousandCallsOnALimitOfAThousandServeTheFirstThousandAndRefuseTheRestAlone() throws Exception {
        backend.hold();
        try (RawHttp2Connection h2 = RawHttp2Connection.connect(portico.port())) {
            final List<Integer> streams = new ArrayList<>();
            for (int i = 0; i < 2 * MAX_CONCURRENT_STREAMS; i++) {
                // Each body right behind its HEADERS, as clients send them: the refused ones' DATA arrives
                // after Portico refused their stream.
                streams.add(h2.send(h2.post(UNARY, GrpcWeb.headers(GrpcWeb.PROTO)), body("call " + i)));
            }
            // RFC 9113 section 5.1.2: the streams over the limit get REFUSED_STREAM and nothing else.
            for (int stream : streams.subList(MAX_CONCURRENT_STREAMS, streams.size())) {
                final RawHttp2Connection.StreamResult refused = h2.await(stream, TIMEOUT);
                assertThat(refused.resetCode()).as("stream %d", stream)
                                               .isEqualTo(RawHttp2Connection.REFUSED_STREAM);
                assertThat(refused.headers()).isEmpty();
            }
            awaitValue(backend::held, MAX_CONCURRENT_STREAMS);

            backend.release();
            for (int i = 0; i < MAX_CONCURRENT_STREAMS; i++) {
                assertEchoed(h2.await(streams.get(i), TIMEOUT), "call " + i);
            }
            assertThat(h2.goAway()).isNull();
            // The connection serves new streams afterwards.
            assertEchoed(h2.await(h2.send(h2.post(UNARY, GrpcWeb.headers(GrpcWeb.PROTO)), body("after")),
                                  TIMEOUT), "after");
            assertThat(h2.isOpen()).isTrue();
        }
        assertThat(refusedStreams("refused_stream")).isGreaterThanOrEqualTo(MAX_CONCURRENT_STREAMS);
    }

    @Test
    void bodiesSentOnRefusedStreamsAreCreditedBackToTheConnectionWindow() throws Exception {
        backend.hold();
        try (RawHttp2Connection h2 = RawHttp2Connection.connect(portico.port())) {
            final List<Integer> admitted = new ArrayList<>();
            for (int i = 0; i < MAX_CONCURRENT_STREAMS; i++) {
                admitted.add(h2.send(h2.post(UNARY, GrpcWeb.headers(GrpcWeb.PROTO)), body("held " + i)));
            }
            awaitValue(backend::held, MAX_CONCURRENT_STREAMS);
            final long creditBefore = h2.connectionWindowCredit();

            // Four times the connection window, in 16 KiB DATA frames on streams Portico refuses. A server that
            // did not count them and credit them back would end the connection with FLOW_CONTROL_ERROR, or stop
            // every other stream of it once its window is used up.
            final byte[] chunk = new byte[16 * 1024];
            final int refusedStreams = 4 * CONNECTION_WINDOW_BYTES / chunk.length;
            for (int i = 0; i < refusedStreams; i++) {
                final int stream = h2.open(h2.post(UNARY, GrpcWeb.headers(GrpcWeb.PROTO)));
                h2.sendData(stream, chunk, true);
                if (i % 4 == 3) {
                    // Within the window, as a client would be: wait for credit before sending more.
                    final long sent = (long) (i + 1) * chunk.length;
                    assertThat(h2.awaitConnectionWindowCredit(
                            creditBefore + sent - CONNECTION_WINDOW_BYTES / 2, TIMEOUT)).isTrue();
                }
            }
            // The server returns credit in batches, once half the window was used (RFC 9113 section 6.9
            // leaves that to it): all but at most that much comes back.
            final long refusedBytes = (long) refusedStreams * chunk.length;
            assertThat(h2.awaitConnectionWindowCredit(creditBefore + refusedBytes - CONNECTION_WINDOW_BYTES / 2,
                                                      TIMEOUT))
                    .as("connection window credited back for the refused bytes; %d of %d so far",
                        h2.connectionWindowCredit() - creditBefore, refusedBytes)
                    .isTrue();

            backend.release();
            for (int i = 0; i < admitted.size(); i++) {
                assertEchoed(h2.await(admitted.get(i), TIMEOUT), "held " + i);
            }
            // A later stream's body still flows (within its stream window: this client does not keep to it).
            final byte[] large = new byte[60 * 1024];
            final int later = h2.open(h2.post(UNARY, GrpcWeb.headers(GrpcWeb.PROTO)));
            final byte[] framed = GrpcWeb.frame(0, large);
            for (int offset = 0; offset < framed.length; offset += chunk.length) {
                final int end = Math.min(framed.length, offset + chunk.length);
                h2.sendData(later, Arrays.copyOfRange(framed, offset, end), end == framed.length);
            }
            final GrpcWebResponse response = GrpcWebResponse.of(h2.await(later, TIMEOUT).toResponse(),
                                                                GrpcWeb.PROTO);
            assertThat(response.code()).isZero();
            assertThat(response.messages().get(0)).hasSize(large.length);
            assertThat(h2.goAway()).isNull();
        }
    }

    @Test
    void aStreamWithAConnectionHeaderIsResetAloneAndItsNeighboursFinish() throws Exception {
        final double protocolErrorsBefore = refusedStreams("protocol_error");
        try (RawHttp2Connection h2 = RawHttp2Connection.connect(portico.port())) {
            final int before = h2.send(h2.post(UNARY, GrpcWeb.headers(GrpcWeb.PROTO)), body("before"));
            // RFC 9113 section 8.2.2: connection-specific header fields make a request malformed, a stream
            // error of type PROTOCOL_ERROR. Its body follows right behind.
            final int bad = h2.send(h2.post(UNARY, GrpcWeb.headers(GrpcWeb.PROTO).add("connection", "close")),
                                    body("bad"));
            final int after = h2.send(h2.post(UNARY, GrpcWeb.headers(GrpcWeb.PROTO)), body("after"));

            assertThat(h2.await(bad, TIMEOUT).resetCode()).isEqualTo(RawHttp2Connection.PROTOCOL_ERROR);
            assertThat(refusedStreams("protocol_error")).isEqualTo(protocolErrorsBefore + 1);
            assertEchoed(h2.await(before, TIMEOUT), "before");
            assertEchoed(h2.await(after, TIMEOUT), "after");
            assertThat(h2.goAway()).isNull();
            assertThat(h2.isOpen()).isTrue();
        }
    }

    @Test
    void aBodyLongerThanItsContentLengthIsResetAloneAndItsNeighboursFinish() throws Exception {
        try (RawHttp2Connection h2 = RawHttp2Connection.connect(portico.port())) {
            final int before = h2.send(h2.post(UNARY, GrpcWeb.headers(GrpcWeb.PROTO)), body("before"));
            // RFC 9113 section 8.1.1: a request whose DATA does not add up to its content-length is malformed,
            // a stream error of type PROTOCOL_ERROR. Netty finds it in the DATA frame; the stream is reset.
            final byte[] tooLong = body("longer than it said");
            final int bad = h2.send(h2.post(UNARY, GrpcWeb.headers(GrpcWeb.PROTO)
                                                          .set("content-length", tooLong.length - 4)), tooLong);
            final int after = h2.send(h2.post(UNARY, GrpcWeb.headers(GrpcWeb.PROTO)), body("after"));

            assertThat(h2.await(bad, TIMEOUT).resetCode()).isEqualTo(RawHttp2Connection.PROTOCOL_ERROR);
            assertEchoed(h2.await(before, TIMEOUT), "before");
            assertEchoed(h2.await(after, TIMEOUT), "after");
            assertThat(h2.goAway()).isNull();
            assertThat(h2.isOpen()).isTrue();
        }
    }

    @Test
    void aRealClientsTwoThousandCallsOnOneConnectionAllSucceed() throws Exception {
        // grpc-java keeps to the advertised limit and queues the rest: Portico runs 1000 at a time.
        backend.hold();
        final ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", portico.port())
                .usePlaintext().build();
        try {
            final MethodDescriptor<byte[], byte[]> method = MethodDescriptor.<byte[], byte[]>newBuilder()
                    .setType(MethodDescriptor.MethodType.UNARY)
                    .setFullMethodName(UNARY.substring(1))
                    .setRequestMarshaller(TestBackend.Bytes.INSTANCE)
                    .setResponseMarshaller(TestBackend.Bytes.INSTANCE)
                    .build();
            final List<ListenableFuture<byte[]>> calls = new ArrayList<>();
            for (int i = 0; i < 2 * MAX_CONCURRENT_STREAMS; i++) {
                calls.add(ClientCalls.futureUnaryCall(channel.newCall(method, CallOptions.DEFAULT),
                                                      ("call " + i).getBytes(StandardCharsets.UTF_8)));
            }
            awaitValue(backend::held, MAX_CONCURRENT_STREAMS);
            backend.release();
            for (int i = 0; i < calls.size(); i++) {
                assertThat(new String(calls.get(i).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS),
                                      StandardCharsets.UTF_8)).isEqualTo("call " + i);
            }
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** {@code portico_http2_streams_refused_total} for {@code reason}, 0 if none was counted yet. */
    private static double refusedStreams(String reason) throws Exception {
        return PrometheusScrape.fetch(portico.adminPort())
                .value("portico_http2_streams_refused_total", Map.of("reason", reason)).orElse(0);
    }

    private static byte[] body(String text) {
        return GrpcWeb.frame(0, text.getBytes(StandardCharsets.UTF_8));
    }

    private static void assertEchoed(RawHttp2Connection.StreamResult result, String text) {
        assertThat(result.resetCode()).as("RST_STREAM on %s", result).isNull();
        final GrpcWebResponse response = GrpcWebResponse.of(result.toResponse(), GrpcWeb.PROTO);
        assertThat(response.code()).as(response.message()).isZero();
        assertThat(new String(response.messages().get(0), StandardCharsets.UTF_8)).isEqualTo(text);
    }

    /** Waits, bounded, until {@code value} reaches {@code expected}, and checks it does not go beyond. */
    private static void awaitValue(IntSupplier value, int expected) throws InterruptedException {
        final long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (value.getAsInt() < expected && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Thread.sleep(100); // Anything beyond would arrive about now.
        assertThat(value.getAsInt()).isEqualTo(expected);
    }
}
