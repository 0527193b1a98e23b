package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.EchoResponse;
import dev.portico.demo.v1.StreamRequest;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.GrpcWebResponse;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.TestHttpClient;
import dev.portico.proxy.testing.Transport;
import io.netty.handler.codec.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * gRPC-Web text mode (PROTOCOL-WEB.md, PROTOCOLS.md B3) over real HTTP chunks: base64 request bodies cut
 * anywhere, even inside a 4-character quantum or between the two '=' of a padding, and bodies made of
 * separately padded segments, all decode; each response frame is sent as base64 of its own, so a client can
 * decode every chunk as it arrives.
 *
 * <p>Each {@link TestHttpClient.Exchange#write} is one HTTP/1.1 chunk or one HTTP/2 DATA frame, which
 * Portico receives as a separate piece of content.
 */
class GrpcWebTextTest {
    private static final String ECHO = "/portico.demo.v1.DemoService/Echo";
    private static final String SERVER_STREAM = "/portico.demo.v1.DemoService/ServerStream";
    private static final String CLIENT_STREAM = "/portico.demo.v1.DemoService/ClientStream";
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** A 29-byte frame: 40 base64 characters, ending in one '='. */
    private static final EchoRequest UNARY = EchoRequest.newBuilder()
            .setMessage("split")
            .setPayload(ByteString.copyFrom(new byte[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}))
            .build();
    private static final byte[] UNARY_TEXT = GrpcWeb.base64(GrpcWeb.frame(UNARY));

    /** Three frames, each base64-encoded on its own: padded "==", padded "=", and unpadded. */
    private static final List<String> SEGMENT_MESSAGES = List.of("one", "2", "three");
    private static final List<byte[]> SEGMENTS = SEGMENT_MESSAGES.stream()
            .map(m -> GrpcWeb.base64(GrpcWeb.frame(EchoRequest.newBuilder().setMessage(m).build())))
            .toList();
    private static final byte[] SEGMENTED_TEXT = GrpcWeb.concat(SEGMENTS.toArray(new byte[0][]));

    private static PorticoFixture portico;

    @BeforeAll
    static void start() throws Exception {
        portico = PorticoFixture.start("");
    }

    @AfterAll
    static void stop() throws Exception {
        portico.close();
    }

    @Test
    void theFixturesHavePaddingWhereTheTestsNeedIt() {
        assertThat(UNARY_TEXT).hasSize(40);
        assertThat(new String(UNARY_TEXT, StandardCharsets.US_ASCII)).endsWith("=").doesNotEndWith("==");
        assertThat(new String(SEGMENTS.get(0), StandardCharsets.US_ASCII)).endsWith("==");
        assertThat(new String(SEGMENTS.get(1), StandardCharsets.US_ASCII)).endsWith("=").doesNotEndWith("==");
        assertThat(new String(SEGMENTS.get(2), StandardCharsets.US_ASCII)).doesNotContain("=");
    }

    static Stream<Arguments> everySplitOf(byte[] body) {
        final List<Arguments> cases = new ArrayList<>();
        for (Transport transport : List.of(Transport.HTTP1, Transport.H2C)) {
            for (int offset = 1; offset < body.length; offset++) {
                cases.add(Arguments.of(transport, offset));
            }
        }
        return cases.stream();
    }

    static Stream<Arguments> everySplitOfTheUnaryBody() {
        return everySplitOf(UNARY_TEXT);
    }

    @ParameterizedTest(name = "{0} split after {1} characters")
    @MethodSource("everySplitOfTheUnaryBody")
    void aTextBodySplitInTwoAnywhereIsDecoded(Transport transport, int offset) throws Exception {
        try (TestHttpClient client = portico.connect(transport)) {
            final TestHttpClient.Response response = send(client, ECHO, List.of(
                    Arrays.copyOfRange(UNARY_TEXT, 0, offset),
                    Arrays.copyOfRange(UNARY_TEXT, offset, UNARY_TEXT.length)));

            assertEchoed(response);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void aTextBodySentOneCharacterPerChunkIsDecoded(Transport transport) throws Exception {
        final List<byte[]> chunks = new ArrayList<>();
        for (byte b : UNARY_TEXT) {
            chunks.add(new byte[] {b});
        }
        try (TestHttpClient client = portico.connect(transport)) {
            assertEchoed(send(client, ECHO, chunks));
        }
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void separatelyPaddedSegmentsBackToBackAreOneStreamOfMessages(Transport transport) throws Exception {
        try (TestHttpClient client = portico.connect(transport)) {
            assertCollected(send(client, CLIENT_STREAM, List.of(SEGMENTED_TEXT)));
        }
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void separatelyPaddedSegmentsInChunksOfTheirOwnAreOneStreamOfMessages(Transport transport)
            throws Exception {
        try (TestHttpClient client = portico.connect(transport)) {
            assertCollected(send(client, CLIENT_STREAM, SEGMENTS));
        }
    }

    static Stream<Arguments> everySplitOfTheSegmentedBody() {
        return everySplitOf(SEGMENTED_TEXT);
    }

    @ParameterizedTest(name = "{0} split after {1} characters")
    @MethodSource("everySplitOfTheSegmentedBody")
    void separatelyPaddedSegmentsSplitAnywhereAreOneStreamOfMessages(Transport transport, int offset)
            throws Exception {
        try (TestHttpClient client = portico.connect(transport)) {
            assertCollected(send(client, CLIENT_STREAM, List.of(
                    Arrays.copyOfRange(SEGMENTED_TEXT, 0, offset),
                    Arrays.copyOfRange(SEGMENTED_TEXT, offset, SEGMENTED_TEXT.length))));
        }
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void eachResponseFrameArrivesAsBase64OfItsOwn(Transport transport) throws Exception {
        // Payload-only messages of 12 bytes, 14 from index 1 on: frames of 17 and 19 bytes, so every message
        // chunk ends in padding, mid-stream.
        final StreamRequest request =
                StreamRequest.newBuilder().setCount(4).setSize(10).setIntervalMs(20).build();
        try (TestHttpClient client = portico.connect(transport)) {
            final TestHttpClient.Exchange exchange =
                    client.open(HttpMethod.POST, SERVER_STREAM, GrpcWeb.headers(GrpcWeb.TEXT));
            exchange.writeAndEnd(GrpcWeb.base64(GrpcWeb.frame(request)));
            assertThat(exchange.awaitHead(TIMEOUT).headers().get("content-type")).isEqualTo(GrpcWeb.TEXT);

            final List<String> chunks = new ArrayList<>();
            byte[] received;
            while ((received = exchange.nextChunk(TIMEOUT)) != null) {
                chunks.add(new String(received, StandardCharsets.US_ASCII));
            }

            // Frames written in one flush may share a chunk (HTTP/2 merges queued DATA), but each frame is
            // base64 of its own: a chunk is whole padded segments, one frame each.
            final List<String> segments = new ArrayList<>();
            for (String chunk : chunks) {
                assertThat(chunk.length() % 4).as("chunk length mod 4: %s", chunk).isZero();
                segments.addAll(List.of(chunk.split("(?<==)(?=[^=])")));
            }
            assertThat(segments).hasSize(5);
            for (int i = 0; i < segments.size(); i++) {
                final String segment = segments.get(i);
                final GrpcWeb.Body frame = GrpcWeb.parse(Base64.getDecoder().decode(segment));
                if (i < 4) {
                    assertThat(segment).as("message %d is padded: padding mid-stream", i).endsWith("=");
                    assertThat(frame.messages()).as("segment %d: one message frame", i).hasSize(1);
                    assertThat(frame.trailerFrames()).isZero();
                    assertThat(EchoResponse.parseFrom(frame.messages().get(0)).getIndex()).isEqualTo(i);
                } else {
                    assertThat(frame.messages()).as("last segment: the trailer frame alone").isEmpty();
                    assertThat(frame.trailerFrames()).isEqualTo(1);
                    assertThat(frame.trailer("grpc-status")).isEqualTo("0");
                }
            }
        }
    }

    // --- helpers ---

    /** A text-mode request whose body goes out as {@code chunks}, one write each, then the end. */
    private static TestHttpClient.Response send(TestHttpClient client, String path, List<byte[]> chunks)
            throws InterruptedException {
        final TestHttpClient.Exchange exchange =
                client.open(HttpMethod.POST, path, GrpcWeb.headers(GrpcWeb.TEXT));
        for (byte[] chunk : chunks) {
            exchange.write(chunk);
        }
        exchange.end();
        return exchange.awaitResponse(TIMEOUT);
    }

    private static void assertEchoed(TestHttpClient.Response raw) throws Exception {
        final GrpcWebResponse response = GrpcWebResponse.of(raw, GrpcWeb.TEXT);
        assertThat(response.code()).as("grpc-status; grpc-message %s", response.message()).isZero();
        final EchoResponse echoed = response.messages(EchoResponse.parser()).get(0);
        assertThat(echoed.getMessage()).isEqualTo(UNARY.getMessage());
        assertThat(echoed.getPayload()).isEqualTo(UNARY.getPayload());
    }

    private static void assertCollected(TestHttpClient.Response raw) throws Exception {
        final GrpcWebResponse response = GrpcWebResponse.of(raw, GrpcWeb.TEXT);
        assertThat(response.code()).as("grpc-status; grpc-message %s", response.message()).isZero();
        final EchoResponse collected = response.messages(EchoResponse.parser()).get(0);
        assertThat(collected.getMessage()).isEqualTo(String.join(",", SEGMENT_MESSAGES));
        assertThat(collected.getIndex()).isEqualTo(SEGMENT_MESSAGES.size());
    }
}
