package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.EchoResponse;
import dev.portico.demo.v1.StreamRequest;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.GrpcWebResponse;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.RawHttp2Connection;
import dev.portico.proxy.testing.RawWire;
import dev.portico.proxy.testing.TestHttpClient;
import dev.portico.proxy.testing.Transport;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http2.Http2Headers;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each limit in {@code portico.limits} holds at its value and fails one unit over it (STYLE.md C6 rule 11),
 * in the client's terms, and the next call works.
 *
 * <p>The message limit is small enough that a request one byte over it fits in the socket buffers: the
 * client has sent all of it by the time Portico answers, whatever Portico then does with the connection.
 */
class LimitsTest {
    private static final String ECHO = "/portico.demo.v1.DemoService/Echo";
    private static final String SERVER_STREAM = "/portico.demo.v1.DemoService/ServerStream";
    private static final String CLIENT_STREAM = "/portico.demo.v1.DemoService/ClientStream";
    private static final int MAX_MESSAGE_BYTES = 20_000;
    private static final int MAX_HEADER_LIST_BYTES = 4096;
    private static final int MAX_INITIAL_LINE_BYTES = 1024;
    private static final int MAX_CONCURRENT_STREAMS = 2;
    /** More than grpc-java adds to a request's header block besides the client's metadata. */
    private static final int UPSTREAM_OVERHEAD = 800;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private static PorticoFixture portico;

    @BeforeAll
    static void start() throws Exception {
        portico = PorticoFixture.start("portico.limits {\n"
                                       + "  max-message-bytes = " + MAX_MESSAGE_BYTES + "\n"
                                       + "  max-header-list-bytes = " + MAX_HEADER_LIST_BYTES + "\n"
                                       + "  max-initial-line-bytes = " + MAX_INITIAL_LINE_BYTES + "\n"
                                       + "  max-concurrent-streams = " + MAX_CONCURRENT_STREAMS + "\n"
                                       + "}");
    }

    @AfterAll
    static void stop() throws Exception {
        portico.close();
    }

    // --- portico.limits.max-message-bytes, requests ---

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void aRequestMessageOfExactlyTheLimitIsForwarded(Transport transport) throws Exception {
        // ClientStream answers with a count, so only the request is large.
        final EchoRequest atLimit = echoRequestOfSize(MAX_MESSAGE_BYTES);
        try (TestHttpClient client = portico.connect(transport)) {
            final GrpcWebResponse response = call(client, CLIENT_STREAM, GrpcWeb.frame(atLimit));

            assertThat(response.code()).isZero();
            assertThat(response.messages(EchoResponse.parser()).get(0).getIndex()).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void aRequestMessageOneByteOverTheLimitFailsWithResourceExhausted(Transport transport) throws Exception {
        final EchoRequest overLimit = echoRequestOfSize(MAX_MESSAGE_BYTES + 1);
        try (TestHttpClient client = portico.connect(transport)) {
            final GrpcWebResponse response = call(client, CLIENT_STREAM, GrpcWeb.frame(overLimit));

            // Refused from the frame header, before any of the payload is held.
            assertThat(response.code()).isEqualTo(8); // RESOURCE_EXHAUSTED
            assertThat(response.trailersOnly()).isTrue();
            assertThat(response.message())
                    .isEqualTo("message of " + (MAX_MESSAGE_BYTES + 1) + " bytes exceeds the limit of "
                               + MAX_MESSAGE_BYTES + " bytes");
            // The rest of the body is dropped (HTTP/1.1) or the stream reset (HTTP/2); the connection stays.
            assertEchoWorks(client);
        }
    }

    // --- portico.limits.max-message-bytes, responses (grpc-java enforces them on the upstream call) ---

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void aResponseMessageOfExactlyTheLimitIsDelivered(Transport transport) throws Exception {
        final int payload = streamPayloadForResponseOfSize(MAX_MESSAGE_BYTES);
        try (TestHttpClient client = portico.connect(transport)) {
            final GrpcWebResponse response = call(client, SERVER_STREAM, GrpcWeb.frame(
                    StreamRequest.newBuilder().setCount(1).setSize(payload).build()));

            assertThat(response.code()).isZero();
            assertThat(response.messages()).hasSize(1);
            assertThat(response.messages().get(0)).hasSize(MAX_MESSAGE_BYTES);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void aResponseMessageOneByteOverTheLimitFailsWithResourceExhausted(Transport transport) throws Exception {
        final int payload = streamPayloadForResponseOfSize(MAX_MESSAGE_BYTES + 1);
        try (TestHttpClient client = portico.connect(transport)) {
            final GrpcWebResponse response = call(client, SERVER_STREAM, GrpcWeb.frame(
                    StreamRequest.newBuilder().setCount(1).setSize(payload).build()));

            assertThat(response.code()).isEqualTo(8); // RESOURCE_EXHAUSTED
            // The upstream's response head had been passed on: the status is in the trailer frame.
            assertThat(response.trailersOnly()).isFalse();
            assertThat(response.messages()).isEmpty();
            assertThat(response.message()).contains("exceeds maximum size " + MAX_MESSAGE_BYTES + ": "
                                                    + (MAX_MESSAGE_BYTES + 1));
            assertEchoWorks(client);
        }
    }

    // --- portico.limits.max-header-list-bytes, HTTP/1.1: the header lines, without their CRLFs ---

    @Test
    void http1HeadersOfExactlyTheLimitPassTheHttpLayerAndTheirMetadataIsCheckedForUpstream() throws Exception {
        try (RawWire wire = RawWire.open(Transport.HTTP1, portico.port())) {
            final byte[] body = GrpcWeb.frame(EchoRequest.newBuilder().setMessage("at the limit").build());
            final TestHttpClient.Response response =
                    wire.exchange("POST", ECHO, http1HeadersOfSize(MAX_HEADER_LIST_BYTES, body.length), body);

            // Not 431: the head is within the limit. But upstream, with grpc-java's own fields and HTTP/2's
            // 32 bytes per field, the block would pass the same limit: refused before any upstream call,
            // in the client's protocol, and the connection carries on.
            assertThat(response.status()).isEqualTo(200);
            final GrpcWebResponse call = GrpcWebResponse.of(response, GrpcWeb.PROTO);
            assertThat(call.code()).isEqualTo(8); // RESOURCE_EXHAUSTED
            assertThat(call.message()).contains("limits.max-header-list-bytes");
            assertEchoWorks(wire);
        }
    }

    @Test
    void http1HeadersWhoseMetadataFitsUpstreamAreServed() throws Exception {
        try (RawWire wire = RawWire.open(Transport.HTTP1, portico.port())) {
            final byte[] body = GrpcWeb.frame(EchoRequest.newBuilder().setMessage("fits").build());
            final TestHttpClient.Response response = wire.exchange(
                    "POST", ECHO, http1HeadersOfSize(MAX_HEADER_LIST_BYTES - UPSTREAM_OVERHEAD, body.length), body);

            final GrpcWebResponse call = GrpcWebResponse.of(response, GrpcWeb.PROTO);
            assertThat(call.code()).isZero();
            assertThat(call.messages(EchoResponse.parser()).get(0).getMessage()).isEqualTo("fits");
        }
    }

    @Test
    void http1HeadersOneByteOverTheLimitAreAnswered431AndTheConnectionCloses() throws Exception {
        try (RawWire wire = RawWire.open(Transport.HTTP1, portico.port())) {
            final byte[] body = GrpcWeb.frame(EchoRequest.newBuilder().setMessage("over the limit").build());
            final HttpHeaders headers = http1HeadersOfSize(MAX_HEADER_LIST_BYTES + 1, body.length);
            final TestHttpClient.Response response = wire.exchange("POST", ECHO, headers, body);

            assertThat(response.status()).isEqualTo(431);
            assertThat(response.headers().get("content-type")).isEqualTo("text/plain; charset=utf-8");
            assertThat(wire.closesWithin(TIMEOUT)).as("the connection closes after a 431").isTrue();
        }
        try (RawWire fresh = RawWire.open(Transport.HTTP1, portico.port())) {
            assertEchoWorks(fresh);
        }
    }

    /**
     * gRPC-Web request headers plus {@code content-length} and an {@code x-padding} field sized so that the
     * header lines Netty counts ({@code name: value}, CRLF excluded, {@code host} included) total {@code size}.
     */
    private static HttpHeaders http1HeadersOfSize(int size, int contentLength) {
        final HttpHeaders headers = GrpcWeb.headers(GrpcWeb.PROTO);
        int used = ("host: 127.0.0.1:" + portico.port()).length()
                   + ("content-length: " + contentLength).length()
                   + "x-padding: ".length();
        for (Map.Entry<String, String> field : headers) {
            used += field.getKey().length() + 2 + field.getValue().length();
        }
        return headers.set("x-padding", "p".repeat(size - used));
    }

    /**
     * Portico configured to take larger heads than its upstream (a default grpc-java server takes 8 KiB):
     * the upstream's refusal reaches the client as RESOURCE_EXHAUSTED, never as grpc-java's INTERNAL, and
     * without the upstream's address.
     */
    @Test
    void metadataTheUpstreamRefusesForItsSizeIsResourceExhaustedNotInternal() throws Exception {
        try (PorticoFixture generous = PorticoFixture.start("portico.limits.max-header-list-bytes = 32 KiB");
             RawWire wire = RawWire.open(Transport.H2C, generous.port())) {
            final GrpcWebResponse response = GrpcWebResponse.of(
                    wire.exchange("POST", ECHO, GrpcWeb.headers(GrpcWeb.PROTO).set("x-big", "b".repeat(12_000)),
                                  GrpcWeb.frame(EchoRequest.newBuilder().setMessage("big").build())),
                    GrpcWeb.PROTO);

            assertThat(response.code()).isEqualTo(8); // RESOURCE_EXHAUSTED
            assertThat(response.message()).contains("metadata").doesNotContain("127.0.0.1");
            final GrpcWebResponse next = GrpcWebResponse.of(
                    wire.exchange("POST", ECHO, GrpcWeb.headers(GrpcWeb.PROTO),
                                  GrpcWeb.frame(EchoRequest.newBuilder().setMessage("small").build())),
                    GrpcWeb.PROTO);
            assertThat(next.code()).isZero();
        }
    }

    // --- portico.limits.initial-line-bytes, HTTP/1.1: the request line, without its CRLF ---

    @Test
    void http1RequestLineOfExactlyTheLimitIsAccepted() throws Exception {
        try (RawWire wire = RawWire.open(Transport.HTTP1, portico.port())) {
            final GrpcWebResponse response = GrpcWebResponse.of(
                    wire.exchange("POST", echoPathWithLineOfSize(MAX_INITIAL_LINE_BYTES),
                                  GrpcWeb.headers(GrpcWeb.PROTO), emptyEcho()),
                    GrpcWeb.PROTO);

            assertThat(response.code()).isZero();
            assertEchoWorks(wire);
        }
    }

    @Test
    void http1RequestLineOneByteOverTheLimitIsAnswered414AndTheConnectionCloses() throws Exception {
        try (RawWire wire = RawWire.open(Transport.HTTP1, portico.port())) {
            final TestHttpClient.Response response =
                    wire.exchange("POST", echoPathWithLineOfSize(MAX_INITIAL_LINE_BYTES + 1),
                                  GrpcWeb.headers(GrpcWeb.PROTO), emptyEcho());

            assertThat(response.status()).isEqualTo(414);
            assertThat(wire.closesWithin(TIMEOUT)).as("the connection closes after a 414").isTrue();
        }
        try (RawWire fresh = RawWire.open(Transport.HTTP1, portico.port())) {
            assertEchoWorks(fresh);
        }
    }

    /** The Echo path with a query (which Portico ignores) making "POST {path} HTTP/1.1" {@code size} long. */
    private static String echoPathWithLineOfSize(int size) {
        final String fixed = "POST " + ECHO + "?pad=" + " HTTP/1.1";
        return ECHO + "?pad=" + "q".repeat(size - fixed.length());
    }

    // --- portico.limits.max-header-list-bytes, HTTP/2: SETTINGS_MAX_HEADER_LIST_SIZE, RFC 7541 sizes ---

    @Test
    void porticoAdvertisesItsHttp2LimitsInSettings() throws Exception {
        try (RawHttp2Connection h2 = RawHttp2Connection.connect(portico.port())) {
            assertThat(h2.serverSettings().maxHeaderListSize()).isEqualTo(MAX_HEADER_LIST_BYTES);
            assertThat(h2.serverSettings().maxConcurrentStreams()).isEqualTo(MAX_CONCURRENT_STREAMS);
        }
    }

    @Test
    void http2HeaderListOfExactlyTheLimitPassesTheHttpLayerAndItsMetadataIsCheckedForUpstream()
            throws Exception {
        try (RawHttp2Connection h2 = RawHttp2Connection.connect(portico.port())) {
            final byte[] body = GrpcWeb.frame(EchoRequest.newBuilder().setMessage("at the limit").build());
            final int stream = h2.send(http2HeadersOfSize(h2, MAX_HEADER_LIST_BYTES), body);

            final RawHttp2Connection.StreamResult result = h2.await(stream, TIMEOUT);
            assertThat(result.status()).isEqualTo(200);
            final GrpcWebResponse response = GrpcWebResponse.of(result.toResponse(), GrpcWeb.PROTO);
            assertThat(response.code()).isEqualTo(8); // RESOURCE_EXHAUSTED
            assertThat(response.message()).contains("limits.max-header-list-bytes");
        }
    }

    @Test
    void http2HeaderListWhoseMetadataFitsUpstreamIsServed() throws Exception {
        try (RawHttp2Connection h2 = RawHttp2Connection.connect(portico.port())) {
            final byte[] body = GrpcWeb.frame(EchoRequest.newBuilder().setMessage("fits").build());
            final int stream = h2.send(http2HeadersOfSize(h2, MAX_HEADER_LIST_BYTES - UPSTREAM_OVERHEAD), body);

            final GrpcWebResponse response =
                    GrpcWebResponse.of(h2.await(stream, TIMEOUT).toResponse(), GrpcWeb.PROTO);
            assertThat(response.code()).isZero();
            assertThat(response.messages(EchoResponse.parser()).get(0).getMessage()).isEqualTo("fits");
        }
    }

    @Test
    void http2HeaderListOneByteOverTheLimitIsAnswered431AndTheConnectionCarriesOn() throws Exception {
        try (RawHttp2Connection h2 = RawHttp2Connection.connect(portico.port())) {
            final int refused = h2.send(http2HeadersOfSize(h2, MAX_HEADER_LIST_BYTES + 1),
                                        GrpcWeb.frame(EchoRequest.getDefaultInstance()));

            // Netty's HTTP/2 server answers a header list it will not decode with ":status 431" and
            // END_STREAM (a stream error, RFC 9113 section 8.2.3); Portico never sees the request.
            final RawHttp2Connection.StreamResult result = h2.await(refused, TIMEOUT);
            assertThat(result.status()).isEqualTo(431);
            assertThat(result.endStream()).isTrue();
            assertThat(result.data()).isEmpty();

            final int next = h2.send(h2.post(ECHO, GrpcWeb.headers(GrpcWeb.PROTO)),
                                     GrpcWeb.frame(EchoRequest.newBuilder().setMessage("next").build()));
            final GrpcWebResponse response =
                    GrpcWebResponse.of(h2.await(next, TIMEOUT).toResponse(), GrpcWeb.PROTO);
            assertThat(response.code()).isZero();
            assertThat(h2.goAway()).isNull();
            assertThat(h2.isOpen()).isTrue();
        }
    }

    @Test
    void http2HeaderBlockOverAQuarterAboveTheLimitEndsTheConnectionWithGoAway() throws Exception {
        // Netty stops buffering a header block whose encoded size passes 1.25 times the limit and treats it
        // as a connection error (its maxHeaderListSizeGoAway): GOAWAY PROTOCOL_ERROR, then close.
        try (RawHttp2Connection h2 = RawHttp2Connection.connect(portico.port())) {
            final Http2Headers huge = h2.post(ECHO, GrpcWeb.headers(GrpcWeb.PROTO));
            huge.add("x-padding", "x".repeat(3 * MAX_HEADER_LIST_BYTES)); // HPACK Huffman: 7 bits per 'x'
            h2.send(huge, GrpcWeb.frame(EchoRequest.getDefaultInstance()));

            final RawHttp2Connection.GoAway goAway = h2.awaitClosed(TIMEOUT);
            assertThat(goAway).isNotNull();
            assertThat(goAway.errorCode()).isEqualTo(RawHttp2Connection.PROTOCOL_ERROR);
            assertThat(goAway.debugData()).contains("Header size exceeded max allowed size");
        }
        try (TestHttpClient fresh = portico.connect(Transport.H2C)) {
            assertEchoWorks(fresh);
        }
    }

    /**
     * Echo request headers with an {@code x-padding} field sized so that the header list, as
     * SETTINGS_MAX_HEADER_LIST_SIZE counts it (name + value + 32 per field, pseudo-headers included), is
     * exactly {@code size}.
     */
    private static Http2Headers http2HeadersOfSize(RawHttp2Connection h2, int size) {
        final Http2Headers headers = h2.post(ECHO, GrpcWeb.headers(GrpcWeb.PROTO));
        int used = "x-padding".length() + 32;
        for (Map.Entry<CharSequence, CharSequence> field : headers) {
            used += field.getKey().length() + field.getValue().length() + 32;
        }
        return headers.add("x-padding", "p".repeat(size - used));
    }

    // --- portico.limits.max-concurrent-streams: SETTINGS_MAX_CONCURRENT_STREAMS ---

    @Test
    void streamsUpToTheConcurrencyLimitRunAtTheSameTime() throws Exception {
        try (RawHttp2Connection h2 = RawHttp2Connection.connect(portico.port())) {
            final int first = h2.send(h2.post(SERVER_STREAM, GrpcWeb.headers(GrpcWeb.PROTO)), slowStream());
            final int second = h2.send(h2.post(SERVER_STREAM, GrpcWeb.headers(GrpcWeb.PROTO)), slowStream());

            final RawHttp2Connection.StreamResult firstResult = h2.await(first, TIMEOUT);
            // The second stream started before the first ended: its first messages are already here.
            assertThat(h2.snapshot(second).data()).isNotEmpty();
            assertStreamCompleted(firstResult);
            assertStreamCompleted(h2.await(second, TIMEOUT));
        }
    }

    @Test
    void aStreamBeyondTheConcurrencyLimitIsRefusedAndTheOthersCarryOn() throws Exception {
        try (RawHttp2Connection h2 = RawHttp2Connection.connect(portico.port())) {
            final int first = h2.send(h2.post(SERVER_STREAM, GrpcWeb.headers(GrpcWeb.PROTO)), slowStream());
            final int second = h2.send(h2.post(SERVER_STREAM, GrpcWeb.headers(GrpcWeb.PROTO)), slowStream());
            // HEADERS alone, ending the stream: the refusal is about the stream, whatever its body.
            final int third = h2.send(h2.post(SERVER_STREAM, GrpcWeb.headers(GrpcWeb.PROTO)), null);

            // RFC 9113 section 5.1.2: REFUSED_STREAM, and nothing else on that stream; no queueing.
            final RawHttp2Connection.StreamResult refused = h2.await(third, TIMEOUT);
            assertThat(refused.resetCode()).isEqualTo(RawHttp2Connection.REFUSED_STREAM);
            assertThat(refused.headers()).isEmpty();
            assertThat(refused.data()).isEmpty();

            assertStreamCompleted(h2.await(first, TIMEOUT));
            assertStreamCompleted(h2.await(second, TIMEOUT));
            // Both ended: a new stream is within the limit again.
            final int fourth = h2.send(h2.post(SERVER_STREAM, GrpcWeb.headers(GrpcWeb.PROTO)), slowStream());
            assertStreamCompleted(h2.await(fourth, TIMEOUT));
            assertThat(h2.goAway()).isNull();
        }
    }

    @Test
    void aRefusedStreamsBodyIsIgnoredAndTheStreamsWithinTheLimitCarryOn() throws Exception {
        // A client may send requests before it has read the server's SETTINGS (RFC 9113 section 3.4), and
        // sends each body right behind its HEADERS. After refusing the stream, the server "MUST ignore frames
        // that it receives on closed streams after it has sent a RST_STREAM frame" (RFC 9113 section 5.1).
        try (RawHttp2Connection h2 = RawHttp2Connection.connect(portico.port())) {
            final int first = h2.send(h2.post(SERVER_STREAM, GrpcWeb.headers(GrpcWeb.PROTO)), slowStream());
            final int second = h2.send(h2.post(SERVER_STREAM, GrpcWeb.headers(GrpcWeb.PROTO)), slowStream());
            final int third = h2.send(h2.post(SERVER_STREAM, GrpcWeb.headers(GrpcWeb.PROTO)), slowStream());

            assertThat(h2.await(third, TIMEOUT).resetCode()).isEqualTo(RawHttp2Connection.REFUSED_STREAM);
            final RawHttp2Connection.StreamResult firstResult = h2.await(first, TIMEOUT);
            final RawHttp2Connection.StreamResult secondResult = h2.await(second, TIMEOUT);
            assertThat(h2.goAway()).as("GOAWAY in answer to the refused stream's DATA, ending the streams "
                                       + "within the limit").isNull();
            assertStreamCompleted(firstResult);
            assertStreamCompleted(secondResult);
        }
    }

    /** Three messages, 150 ms apart: long enough for the streams of a test to overlap. */
    private static byte[] slowStream() {
        return GrpcWeb.frame(StreamRequest.newBuilder().setCount(3).setSize(10).setIntervalMs(150).build());
    }

    private static void assertStreamCompleted(RawHttp2Connection.StreamResult result) throws Exception {
        assertThat(result.resetCode()).as("RST_STREAM on %s", result).isNull();
        final GrpcWebResponse response = GrpcWebResponse.of(result.toResponse(), GrpcWeb.PROTO);
        assertThat(response.code()).isZero();
        assertThat(response.messages()).hasSize(3);
    }

    // --- helpers ---

    private static GrpcWebResponse call(TestHttpClient client, String path, byte[] body) throws Exception {
        return GrpcWebResponse.of(client.call(HttpMethod.POST, path, GrpcWeb.headers(GrpcWeb.PROTO), body),
                                  GrpcWeb.PROTO);
    }

    private static void assertEchoWorks(TestHttpClient client) throws Exception {
        final GrpcWebResponse response =
                call(client, ECHO, GrpcWeb.frame(EchoRequest.newBuilder().setMessage("next").build()));
        assertThat(response.code()).isZero();
        assertThat(response.messages(EchoResponse.parser()).get(0).getMessage()).isEqualTo("next");
    }

    private static void assertEchoWorks(RawWire wire) throws Exception {
        final GrpcWebResponse response = GrpcWebResponse.of(
                wire.exchange("POST", ECHO, GrpcWeb.headers(GrpcWeb.PROTO),
                              GrpcWeb.frame(EchoRequest.newBuilder().setMessage("next").build())),
                GrpcWeb.PROTO);
        assertThat(response.code()).isZero();
        assertThat(response.messages(EchoResponse.parser()).get(0).getMessage()).isEqualTo("next");
    }

    private static byte[] emptyEcho() {
        return GrpcWeb.frame(EchoRequest.getDefaultInstance());
    }

    /** An EchoRequest whose encoding is exactly {@code size} bytes: a payload and nothing else. */
    private static EchoRequest echoRequestOfSize(int size) {
        for (int payload = size; payload >= 0; payload--) {
            final EchoRequest request = EchoRequest.newBuilder()
                    .setPayload(ByteString.copyFrom(new byte[payload])).build();
            if (request.getSerializedSize() == size) {
                return request;
            }
        }
        throw new IllegalArgumentException("no EchoRequest of " + size + " bytes");
    }

    /**
     * The StreamRequest size whose single ServerStream response (payload only, index 0) encodes to exactly
     * {@code size} bytes.
     */
    private static int streamPayloadForResponseOfSize(int size) {
        for (int payload = size; payload >= 0; payload--) {
            if (EchoResponse.newBuilder().setPayload(ByteString.copyFrom(new byte[payload])).build()
                            .getSerializedSize() == size) {
                return payload;
            }
        }
        throw new IllegalArgumentException("no EchoResponse of " + size + " bytes");
    }
}
