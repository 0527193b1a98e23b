package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.ErrorInfo;
import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.EchoResponse;
import dev.portico.demo.v1.FailRequest;
import dev.portico.demo.v1.StreamRequest;
import dev.portico.proxy.testing.EarlyAnswers;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.TestHttpClient;
import dev.portico.proxy.testing.Transport;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Metadata across Portico, both ways (PROTOCOLS.md B2, B4, B7): request headers become upstream metadata
 * and HTTP-only ones do not; upstream headers come back as HTTP headers and upstream trailers in the
 * gRPC-Web trailer frame; {@code grpc-message} is percent-encoded; errors before any message are
 * trailers-only. What the backend received is read from {@code EchoResponse.metadata}.
 */
class MetadataTest {
    private static final String ECHO = "/portico.demo.v1.DemoService/Echo";
    private static final String FAIL = "/portico.demo.v1.DemoService/Fail";
    private static final String SERVER_STREAM = "/portico.demo.v1.DemoService/ServerStream";

    /** Encodes to "+/+/AAE=": both base64 characters beyond alphanumerics, and padding. */
    private static final byte[] BINARY_VALUE = {(byte) 0xfb, (byte) 0xff, (byte) 0xbf, 0x00, 0x01};

    private static PorticoFixture fixture;

    @BeforeAll
    static void start() throws Exception {
        fixture = PorticoFixture.start("");
    }

    @AfterAll
    static void stop() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
    }

    static Stream<Arguments> transportsAndContentTypes() {
        final List<Arguments> combinations = new ArrayList<>();
        for (Transport transport : List.of(Transport.HTTP1, Transport.H2C)) {
            for (String contentType : List.of("application/grpc-web", "application/grpc-web+proto",
                                              "application/grpc-web-text", "application/grpc-web-text+proto")) {
                combinations.add(Arguments.of(transport, contentType));
            }
        }
        return combinations.stream();
    }

    // ---- Request headers to upstream metadata ----

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void customAndAuthorizationHeadersReachTheBackendAsMetadata(Transport transport) throws Exception {
        final HttpHeaders headers = GrpcWeb.headers(GrpcWeb.PROTO)
                .set("x-custom", "custom value")
                .set("authorization", "Bearer abc.def.ghi")
                .add("x-multi", "first")
                .add("x-multi", "second");

        final Map<String, String> seen = echoMetadata(transport, headers);

        assertThat(seen).containsEntry("x-custom", "custom value")
                        .containsEntry("authorization", "Bearer abc.def.ghi")
                        .containsEntry("x-multi", "first,second");
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void binaryHeadersAreDecodedWhetherPaddedOrUnpaddedAndSplitOnCommas(Transport transport) throws Exception {
        // PROTOCOL-HTTP2.md: MUST accept padded and un-padded values; several values joined by ",".
        // The backend lists binary values re-encoded with padding, joined by ",".
        final HttpHeaders headers = GrpcWeb.headers(GrpcWeb.PROTO)
                .set("x-padded-bin", "AQIDBA==")
                .set("x-unpadded-bin", "AQIDBA")
                .set("x-pair-bin", "AQI,BAUG")
                .set("x-symbols-bin", "+/+/AAE=");

        final Map<String, String> seen = echoMetadata(transport, headers);

        assertThat(seen).containsEntry("x-padded-bin", "AQIDBA==")
                        .containsEntry("x-unpadded-bin", "AQIDBA==")
                        // Two values, {1, 2} and {4, 5, 6}: the first one was unpadded.
                        .containsEntry("x-pair-bin", "AQI=,BAUG")
                        .containsEntry("x-symbols-bin", "+/+/AAE=");
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void aBinaryHeaderThatIsNotBase64FailsTheCallWithInvalidArgument(Transport transport) throws Exception {
        final HttpHeaders headers = GrpcWeb.headers(GrpcWeb.PROTO).set("x-broken-bin", "not*base64!");
        try (TestHttpClient client = fixture.connect(transport)) {
            // Portico may refuse this from the head alone, before the body is sent.
            final TestHttpClient.Response response = EarlyAnswers.call(
                    client, HttpMethod.POST, ECHO, headers,
                    GrpcWeb.frame(EchoRequest.newBuilder().setMessage("m").build()));

            assertThat(response.status()).isEqualTo(200);
            assertThat(statusOf(response)).isEqualTo("3");
        }
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void hopByHopAndHttpOnlyHeadersAreNotForwarded(Transport transport) throws Exception {
        final byte[] body = GrpcWeb.frame(EchoRequest.newBuilder().setMessage("hop").build());
        final HttpHeaders headers = GrpcWeb.headers(GrpcWeb.PROTO)
                .set("x-custom", "kept")
                .set("te", "trailers")
                .set("accept-encoding", "gzip, deflate, br")
                .set("content-length", body.length)
                .set("x-http2-client-note", "1");
        if (!transport.isHttp2()) {
            // Connection-specific fields exist only in HTTP/1.1; HTTP/2 forbids them on the wire.
            headers.set("connection", "keep-alive")
                   .set("keep-alive", "timeout=5, max=100")
                   .set("proxy-connection", "keep-alive")
                   .set("x-http2-stream-id", "7")
                   .set("x-http2-scheme", "https");
        }

        final EchoResponse echoed = echo(transport, headers, body);

        assertThat(echoed.getMessage()).isEqualTo("hop");
        assertThat(echoed.getMetadataMap()).containsEntry("x-custom", "kept");
        assertThat(echoed.getMetadataMap()).doesNotContainKeys(
                "connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade", "host",
                "content-length", "accept-encoding", "x-grpc-web", "http2-settings");
        assertThat(echoed.getMetadataMap().keySet()).noneMatch(key -> key.startsWith("x-http2-"));
    }

    @Test
    void headersNamedInConnectionAreHopByHopAndNotForwarded() throws Exception {
        // RFC 9110 7.6.1: a proxy removes every field the Connection header names, not only the fixed list.
        final HttpHeaders headers = GrpcWeb.headers(GrpcWeb.PROTO)
                .set("connection", "keep-alive, x-hop-secret")
                .set("x-hop-secret", "for the next hop only")
                .set("x-custom", "kept");

        final Map<String, String> seen = echoMetadata(Transport.HTTP1, headers);

        assertThat(seen).containsEntry("x-custom", "kept").doesNotContainKey("x-hop-secret");
    }

    // ---- Upstream headers and trailers back to the client ----

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dev.portico.proxy.testing.GrpcWeb#transportsAndModes")
    void responseHeadersComeBackAsHeadersAndTrailersInTheTrailerFrame(Transport transport, String mode)
            throws Exception {
        final HttpHeaders headers = GrpcWeb.headers(mode)
                .set("x-echo-foo", "bar")
                .set("x-echo-data-bin", Base64.getEncoder().encodeToString(BINARY_VALUE));
        try (TestHttpClient client = fixture.connect(transport)) {
            final TestHttpClient.Response response = client.call(
                    HttpMethod.POST, ECHO, headers,
                    body(mode, EchoRequest.newBuilder().setMessage("m").build()));

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.headers().get("x-echo-foo")).isEqualTo("bar");
            assertThat(decodeBinary(response.headers().get("x-echo-data-bin"))).isEqualTo(BINARY_VALUE);
            assertThat(response.headers().contains("x-trailer-foo")).isFalse();
            assertThat(response.headers().contains("grpc-status")).isFalse();

            final GrpcWeb.Body body = parse(mode, response.body());
            assertThat(body.messages()).hasSize(1);
            assertThat(body.trailerFrames()).isEqualTo(1);
            assertThat(body.trailer("grpc-status")).isEqualTo("0");
            assertThat(body.trailer("x-trailer-foo")).isEqualTo("bar");
            assertThat(decodeBinary(body.trailer("x-trailer-data-bin"))).isEqualTo(BINARY_VALUE);
            // gRPC-Web carries the status in the body, never in HTTP/2 trailers.
            assertThat(response.trailers().contains("grpc-status")).isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void grpcMessageIsPercentEncodedAndDecodesToExactlyTheOriginal(Transport transport) throws Exception {
        final String original = "100% sure\nnaïve — 日本語 🙂 \"quoted\"\ttabbed %41 stays";
        try (TestHttpClient client = fixture.connect(transport)) {
            final TestHttpClient.Response response = client.call(
                    HttpMethod.POST, FAIL, GrpcWeb.headers(GrpcWeb.PROTO),
                    GrpcWeb.frame(FailRequest.newBuilder().setCode(3).setMessage(original).build()));

            final String onTheWire = response.headers().get("grpc-message");
            assertThat(onTheWire).isNotNull();
            // PROTOCOL-HTTP2.md: only %x20-%x24 / %x26-%x7E go unescaped.
            assertThat(onTheWire.chars()).allMatch(c -> c >= 0x20 && c <= 0x7e);
            assertThat(onTheWire).contains("100%25 sure%0A").doesNotContain("\n");
            assertThat(percentDecode(onTheWire)).isEqualTo(original);
            assertThat(response.headers().get("grpc-status")).isEqualTo("3");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dev.portico.proxy.testing.GrpcWeb#transportsAndModes")
    void anErrorBeforeAnyMessageIsTrailersOnlyWithAnEmptyBody(Transport transport, String mode)
            throws Exception {
        try (TestHttpClient client = fixture.connect(transport)) {
            final TestHttpClient.Response response = client.call(
                    HttpMethod.POST, FAIL, GrpcWeb.headers(mode),
                    body(mode, FailRequest.newBuilder().setCode(5).setMessage("no such thing").build()));

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.headers().get("content-type")).isEqualTo(mode);
            assertThat(response.headers().get("grpc-status")).isEqualTo("5");
            assertThat(response.headers().get("grpc-message")).isEqualTo("no such thing");
            // Never an empty trailer frame (80 00 00 00 00) after a status in the headers: connect-es#1764.
            assertThat(response.body()).isEmpty();
            assertThat(response.trailers().contains("grpc-status")).isFalse();
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dev.portico.proxy.testing.GrpcWeb#transportsAndModes")
    void anErrorAfterMessagesEndsWithATrailerFrameCarryingTheStatus(Transport transport, String mode)
            throws Exception {
        try (TestHttpClient client = fixture.connect(transport)) {
            final TestHttpClient.Response response = client.call(
                    HttpMethod.POST, SERVER_STREAM, GrpcWeb.headers(mode),
                    body(mode, StreamRequest.newBuilder().setCount(2).setSize(8).setFailCode(5).build()));

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.headers().contains("grpc-status")).isFalse();
            final GrpcWeb.Body body = parse(mode, response.body());
            assertThat(body.messages()).hasSize(2);
            assertThat(body.trailerFrames()).isEqualTo(1);
            assertThat(body.trailer("grpc-status")).isEqualTo("5");
            assertThat(percentDecode(body.trailer("grpc-message"))).isEqualTo("failed after 2 messages");
        }
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void statusDetailsComeBackAndParseAsAGoogleRpcStatus(Transport transport) throws Exception {
        final String message = "precondition 100% failed: ü";
        try (TestHttpClient client = fixture.connect(transport)) {
            final TestHttpClient.Response response = client.call(
                    HttpMethod.POST, FAIL, GrpcWeb.headers(GrpcWeb.PROTO),
                    GrpcWeb.frame(FailRequest.newBuilder().setCode(9).setMessage(message).setWithDetails(true)
                                             .build()));

            assertThat(response.headers().get("grpc-status")).isEqualTo("9");
            assertThat(percentDecode(response.headers().get("grpc-message"))).isEqualTo(message);
            final String details = response.headers().get("grpc-status-details-bin");
            assertThat(details).isNotNull();
            final com.google.rpc.Status status = com.google.rpc.Status.parseFrom(decodeBinary(details));
            assertThat(status.getCode()).isEqualTo(9);
            assertThat(status.getMessage()).isEqualTo(message);
            assertThat(status.getDetailsCount()).isEqualTo(1);
            final ErrorInfo info = status.getDetails(0).unpack(ErrorInfo.class);
            assertThat(info.getReason()).isEqualTo("DEMO_FAILURE");
            assertThat(info.getMetadataMap()).containsEntry("requested_code", "9");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("transportsAndContentTypes")
    void theResponseContentTypeMirrorsTheRequests(Transport transport, String contentType) throws Exception {
        try (TestHttpClient client = fixture.connect(transport)) {
            final TestHttpClient.Response ok = client.call(
                    HttpMethod.POST, ECHO, GrpcWeb.headers(contentType),
                    body(contentType, EchoRequest.newBuilder().setMessage("mirror").build()));
            assertThat(ok.headers().get("content-type")).isEqualTo(contentType);
            final GrpcWeb.Body body = parse(contentType, ok.body());
            assertThat(body.messages(EchoResponse.parser()).get(0).getMessage()).isEqualTo("mirror");
            assertThat(body.trailer("grpc-status")).isEqualTo("0");

            final TestHttpClient.Response failed = client.call(
                    HttpMethod.POST, FAIL, GrpcWeb.headers(contentType),
                    body(contentType, FailRequest.newBuilder().setCode(7).setMessage("denied").build()));
            assertThat(failed.headers().get("content-type")).isEqualTo(contentType);
            assertThat(failed.headers().get("grpc-status")).isEqualTo("7");
        }
    }

    // ---- Helpers ----

    private static Map<String, String> echoMetadata(Transport transport, HttpHeaders headers) throws Exception {
        return echo(transport, headers, GrpcWeb.frame(EchoRequest.newBuilder().setMessage("m").build()))
                .getMetadataMap();
    }

    private static EchoResponse echo(Transport transport, HttpHeaders headers, byte[] body) throws Exception {
        try (TestHttpClient client = fixture.connect(transport)) {
            final TestHttpClient.Response response = client.call(HttpMethod.POST, ECHO, headers, body);
            assertThat(response.status()).isEqualTo(200);
            final GrpcWeb.Body parsed = GrpcWeb.parse(response.body());
            assertThat(parsed.trailer("grpc-status")).as("call status").isEqualTo("0");
            return parsed.messages(EchoResponse.parser()).get(0);
        }
    }

    private static boolean isText(String contentType) {
        return contentType.startsWith(GrpcWeb.TEXT);
    }

    private static byte[] body(String contentType, com.google.protobuf.MessageLite message) {
        final byte[] frame = GrpcWeb.frame(message);
        return isText(contentType) ? GrpcWeb.base64(frame) : frame;
    }

    private static GrpcWeb.Body parse(String contentType, byte[] body) {
        return GrpcWeb.parse(isText(contentType) ? GrpcWeb.decodeText(body) : body);
    }

    /** The call's status, wherever it travelled: the headers (trailers-only) or the trailer frame. */
    private static String statusOf(TestHttpClient.Response response) {
        final String inHeaders = response.headers().get("grpc-status");
        return inHeaders != null ? inHeaders : GrpcWeb.parse(response.body()).trailer("grpc-status");
    }

    /** A {@code -bin} value: base64, padded or not (PROTOCOL-HTTP2.md). */
    private static byte[] decodeBinary(String value) {
        assertThat(value).as("binary header value").isNotNull();
        return Base64.getDecoder().decode(value);
    }

    /** PROTOCOL-HTTP2.md percent-decoding, written independently of Portico's PercentEncoding. */
    private static String percentDecode(String value) {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int i = 0; i < value.length(); i++) {
            final char c = value.charAt(i);
            final boolean escape = c == '%' && i + 2 < value.length()
                                   && isHex(value.charAt(i + 1)) && isHex(value.charAt(i + 2));
            if (escape) {
                bytes.write(Integer.parseInt(value.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static boolean isHex(char c) {
        return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
    }
}
