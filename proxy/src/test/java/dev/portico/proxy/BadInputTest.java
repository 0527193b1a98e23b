package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.protobuf.ByteString;
import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.EchoResponse;
import dev.portico.demo.v1.StreamRequest;
import dev.portico.proxy.demo.DemoBackend;
import dev.portico.proxy.testing.ConnectWire;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.GrpcWebResponse;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.RawWire;
import dev.portico.proxy.testing.StandalonePortico;
import dev.portico.proxy.testing.TestHttpClient;
import dev.portico.proxy.testing.Transport;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
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
 * Every kind of bad input gets a clear answer in the client's terms (STYLE.md C6 rule 10): an HTTP status
 * for requests that are not gRPC-Web at all, else HTTP 200 with a grpc-status, trailers-only when nothing
 * was sent before the error (PROTOCOL-WEB.md). After each one the next call works on the same connection:
 * over HTTP/2 a stream error never ends the connection, and over HTTP/1.1 Portico reads (and drops) the rest
 * of a body it answered early, so that it is not parsed as the next request. Only an HTTP/1.1 head the
 * decoder gave up on (431) ends the connection, and then a new connection works.
 *
 * <p>Requests go out whole ({@link RawWire}), so that the outcome does not depend on client timing.
 */
class BadInputTest {
    private static final String ECHO = "/portico.demo.v1.DemoService/Echo";
    private static final String SERVER_STREAM = "/portico.demo.v1.DemoService/ServerStream";
    private static final int MAX_MESSAGE_BYTES = 1024;
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

    private static PorticoFixture portico;

    @BeforeAll
    static void start() throws Exception {
        portico = PorticoFixture.start("portico.limits.max-message-bytes = " + MAX_MESSAGE_BYTES);
    }

    @AfterAll
    static void stop() throws Exception {
        portico.close();
    }

    static Stream<Arguments> transportsAnd(Object... values) {
        final List<Arguments> combinations = new ArrayList<>();
        for (Transport transport : List.of(Transport.HTTP1, Transport.H2C)) {
            for (Object value : values) {
                combinations.add(Arguments.of(transport, value));
            }
        }
        return combinations.stream();
    }

    // --- Not gRPC-Web at all: plain HTTP answers ---

    static Stream<Arguments> unknownContentTypes() {
        // Types no protocol Portico speaks will ever claim; "(none)" sends no content-type at all.
        return transportsAnd("text/plain", "application/xml", "application/grpc-webby", "(none)");
    }

    @ParameterizedTest(name = "{0} content-type {1}")
    @MethodSource("unknownContentTypes")
    void aPostOfAnUnknownContentTypeIsAnswered415InPlainText(Transport transport, String contentType)
            throws Exception {
        final HttpHeaders headers = new DefaultHttpHeaders();
        if (!"(none)".equals(contentType)) {
            headers.set("content-type", contentType);
        }
        try (RawWire wire = RawWire.open(transport, portico.port())) {
            final TestHttpClient.Response response =
                    wire.exchange("POST", ECHO, headers, "{}".getBytes(StandardCharsets.US_ASCII));

            assertThat(response.status()).isEqualTo(415);
            assertThat(response.headers().get("content-type")).isEqualTo("text/plain; charset=utf-8");
            assertThat(response.headers().contains("grpc-status")).isFalse();
            assertThat(text(response))
                    .contains("unsupported content-type")
                    .contains("(none)".equals(contentType) ? "(none)" : '"' + contentType + '"');
            // The head alone decided the answer; the body is dropped, and the connection carries on.
            assertNextCallWorks(transport, wire, true);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("getAndPut")
    void aGetOrPutOnAGrpcPathIsAnswered405WithAllow(Transport transport, String method) throws Exception {
        // A GET has no body; a PUT carries one, as a confused client would send it.
        final byte[] body = "GET".equals(method) ? null : GrpcWeb.frame(echoRequest("put"));
        try (RawWire wire = RawWire.open(transport, portico.port())) {
            final TestHttpClient.Response response =
                    wire.exchange(method, ECHO, GrpcWeb.headers(GrpcWeb.PROTO), body);

            assertThat(response.status()).isEqualTo(405);
            assertThat(response.headers().get("allow")).contains("POST");
            assertThat(response.headers().get("content-type")).isEqualTo("text/plain; charset=utf-8");
            assertThat(text(response)).contains(method).contains("POST");
            assertNextCallWorks(transport, wire, true);
        }
    }

    static Stream<Arguments> getAndPut() {
        return transportsAnd("GET", "PUT");
    }

    @Test
    void http1HeadersOverTheLimitAreAnswered431AndTheConnectionCloses() throws Exception {
        // The default portico.limits.max-header-list-bytes is 8 KiB; LimitsTest hits it to the byte.
        final HttpHeaders headers = GrpcWeb.headers(GrpcWeb.PROTO).set("x-padding", "p".repeat(17 * 1024));
        try (RawWire wire = RawWire.open(Transport.HTTP1, portico.port())) {
            final TestHttpClient.Response response =
                    wire.exchange("POST", ECHO, headers, GrpcWeb.frame(echoRequest("too big a head")));

            assertThat(response.status()).isEqualTo(431);
            assertThat(response.headers().get("content-type")).isEqualTo("text/plain; charset=utf-8");
            // The decoder cannot find the next request after a head it gave up on.
            assertNextCallWorks(Transport.HTTP1, wire, false);
        }
    }

    // --- gRPC-Web requests Portico rejects from the head: a grpc-status, trailers-only ---

    static Stream<Arguments> malformedPaths() {
        return transportsAnd("/nomethod", "/a/b/c", "/portico.demo.v1.DemoService/", "//Echo", "/");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("malformedPaths")
    void aMalformedPathIsAnsweredUnimplemented(Transport transport, String path) throws Exception {
        try (RawWire wire = RawWire.open(transport, portico.port())) {
            final GrpcWebResponse response = call(wire, path, GrpcWeb.PROTO, GrpcWeb.frame(echoRequest("x")));

            assertThat(response.code()).isEqualTo(12); // UNIMPLEMENTED
            assertThat(response.trailersOnly()).isTrue();
            assertThat(response.message()).contains("malformed path").contains(path);
            assertNextCallWorks(transport, wire, true);
        }
    }

    // --- Connect: a path that names no method is 404, a well-formed one to an unknown method 501 ---

    static Stream<Arguments> connectContentTypesAndMalformedPaths() {
        final List<Arguments> combinations = new ArrayList<>();
        for (Transport transport : List.of(Transport.HTTP1, Transport.H2C)) {
            for (String contentType : List.of("application/proto", "application/connect+proto")) {
                for (String path : List.of("/nomethod", "/a/b/c", "/portico.demo.v1.DemoService/")) {
                    combinations.add(Arguments.of(transport, contentType, path));
                }
            }
        }
        return combinations.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("connectContentTypesAndMalformedPaths")
    void aConnectRequestToAPathThatNamesNoMethodIs404Unimplemented(Transport transport, String contentType,
                                                                  String path) throws Exception {
        final HttpHeaders headers = new DefaultHttpHeaders().set("content-type", contentType)
                                                            .set("connect-protocol-version", "1");
        final byte[] message = echoRequest("x").toByteArray();
        final byte[] body = contentType.startsWith("application/connect+") ? GrpcWeb.frame(0, message) : message;
        try (RawWire wire = RawWire.open(transport, portico.port())) {
            final TestHttpClient.Response response = wire.exchange("POST", path, headers, body);

            // Connect servers answer 404 for a path that is not /package.Service/Method.
            assertThat(response.status()).isEqualTo(404);
            assertThat(response.headers().get("content-type")).isEqualTo("application/json");
            final JsonObject error = ConnectWire.json(response.body());
            assertThat(error.get("code").getAsString()).isEqualTo("unimplemented");
            assertThat(error.get("message").getAsString()).contains("malformed path").contains(path);
            assertNextCallWorks(transport, wire, true);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void aConnectRequestToAnUnknownMethodOnAWellFormedPathStays501(Transport transport) throws Exception {
        try (RawWire wire = RawWire.open(transport, portico.port())) {
            final TestHttpClient.Response response = wire.exchange(
                    "POST", "/portico.demo.v1.DemoService/NoSuchMethod", ConnectWire.unaryHeaders("proto"),
                    echoRequest("x").toByteArray());

            assertThat(response.status()).isEqualTo(501);
            assertThat(ConnectWire.json(response.body()).get("code").getAsString()).isEqualTo("unimplemented");
            assertNextCallWorks(transport, wire, true);
        }
    }

    static Stream<Arguments> requestsOfNoProtocolToPathsThatNameNoMethod() {
        return transportsAnd("GET /favicon.ico", "POST /nomethod", "PUT /a/b/c");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("requestsOfNoProtocolToPathsThatNameNoMethod")
    void aRequestOfNoProtocolToAPathThatNamesNoMethodIsAPlain404(Transport transport, String request)
            throws Exception {
        final String method = request.substring(0, request.indexOf(' '));
        final String path = request.substring(request.indexOf(' ') + 1);
        final byte[] body = "GET".equals(method) ? null : "{}".getBytes(StandardCharsets.US_ASCII);
        try (RawWire wire = RawWire.open(transport, portico.port())) {
            final TestHttpClient.Response response = wire.exchange(
                    method, path, new DefaultHttpHeaders().set("content-type", "text/plain"), body);

            assertThat(response.status()).isEqualTo(404);
            assertThat(response.headers().get("content-type")).isEqualTo("text/plain; charset=utf-8");
            assertThat(text(response)).contains("malformed path").contains(path);
            assertNextCallWorks(transport, wire, true);
        }
    }

    static Stream<Arguments> malformedTimeouts() {
        // PROTOCOL-HTTP2.md: 1-8 ASCII digits, then one of H M S m u n, case-sensitive.
        return transportsAnd("10s", "123456789S", "-1S", "1.5S", "S");
    }

    @ParameterizedTest(name = "{0} grpc-timeout {1}")
    @MethodSource("malformedTimeouts")
    void aMalformedGrpcTimeoutIsAnsweredInvalidArgument(Transport transport, String timeout) throws Exception {
        final HttpHeaders headers = GrpcWeb.headers(GrpcWeb.PROTO).set("grpc-timeout", timeout);
        try (RawWire wire = RawWire.open(transport, portico.port())) {
            final GrpcWebResponse response = GrpcWebResponse.of(
                    wire.exchange("POST", ECHO, headers, GrpcWeb.frame(echoRequest("x"))), GrpcWeb.PROTO);

            assertThat(response.code()).isEqualTo(3); // INVALID_ARGUMENT
            assertThat(response.trailersOnly()).isTrue();
            assertThat(response.message()).contains("grpc-timeout").contains(timeout);
            assertNextCallWorks(transport, wire, true);
        }
    }

    // --- Bad bodies: found while reading, so the whole body was read and both HTTP versions keep going ---

    static Stream<Arguments> malformedBodies() {
        final byte[] echo = GrpcWeb.frame(echoRequest("x"));
        final byte[] declaresMore = ByteBuffer.allocate(15).put((byte) 0).putInt(100).put(new byte[10]).array();
        final byte[] reservedFlag = GrpcWeb.frame(0x02, echoRequest("x").toByteArray());
        final byte[] withTrailers = GrpcWeb.concat(
                echo, GrpcWeb.frame(0x80, "grpc-status: 0\r\n".getBytes(StandardCharsets.US_ASCII)));
        final List<Arguments> cases = new ArrayList<>();
        for (Transport transport : List.of(Transport.HTTP1, Transport.H2C)) {
            cases.add(Arguments.of(transport, "a frame declaring 100 bytes with 10 in the body", declaresMore,
                                   "truncated frame"));
            cases.add(Arguments.of(transport, "a body ending inside a frame header", new byte[] {0, 0, 0},
                                   "truncated frame"));
            cases.add(Arguments.of(transport, "a frame with a reserved flag bit", reservedFlag,
                                   "reserved flag bits"));
            cases.add(Arguments.of(transport, "a trailer frame in a request", withTrailers,
                                   "a request body must not carry"));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("malformedBodies")
    void aMalformedBodyIsAnsweredInvalidArgument(Transport transport, String description, byte[] body,
                                                 String reason) throws Exception {
        try (RawWire wire = RawWire.open(transport, portico.port())) {
            final GrpcWebResponse response = call(wire, ECHO, GrpcWeb.PROTO, body);

            assertThat(response.code()).as(description).isEqualTo(3); // INVALID_ARGUMENT
            assertThat(response.trailersOnly()).isTrue();
            assertThat(response.message()).contains(reason);
            assertNextCallWorks(transport, wire, true);
        }
    }

    static Stream<Arguments> invalidBase64Bodies() {
        final List<Arguments> cases = new ArrayList<>();
        final byte[] valid = GrpcWeb.base64(GrpcWeb.frame(echoRequest("x")));
        for (Transport transport : List.of(Transport.HTTP1, Transport.H2C)) {
            cases.add(Arguments.of(transport, "AAAA!AAA", "invalid base64 character '!' at offset 4"));
            cases.add(Arguments.of(transport, "A=AA", "unexpected '=' at offset 1"));
            cases.add(Arguments.of(transport, "QUJDé", "invalid base64 byte 0xC3 at offset 4"));
            cases.add(Arguments.of(transport, new String(valid, StandardCharsets.US_ASCII) + "Q",
                                   "1 character left over"));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("invalidBase64Bodies")
    void invalidBase64InTextModeIsAnsweredInvalidArgument(Transport transport, String body, String reason)
            throws Exception {
        try (RawWire wire = RawWire.open(transport, portico.port())) {
            final GrpcWebResponse response =
                    call(wire, ECHO, GrpcWeb.TEXT, body.getBytes(StandardCharsets.UTF_8));

            assertThat(response.code()).isEqualTo(3); // INVALID_ARGUMENT
            assertThat(response.trailersOnly()).isTrue();
            assertThat(response.message()).contains(reason);
            assertNextCallWorks(transport, wire, true);
        }
    }

    // --- Limits and upstream failures ---

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void aRequestMessageOverTheLimitIsAnsweredResourceExhausted(Transport transport) throws Exception {
        final EchoRequest tooBig = echoRequestOfSize(MAX_MESSAGE_BYTES + 1);
        try (RawWire wire = RawWire.open(transport, portico.port())) {
            final GrpcWebResponse response = call(wire, ECHO, GrpcWeb.PROTO, GrpcWeb.frame(tooBig));

            assertThat(response.code()).isEqualTo(8); // RESOURCE_EXHAUSTED
            assertThat(response.trailersOnly()).isTrue();
            assertThat(response.message()).contains(Integer.toString(MAX_MESSAGE_BYTES + 1))
                                          .contains(Integer.toString(MAX_MESSAGE_BYTES));
            assertNextCallWorks(transport, wire, true);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void aResponseMessageOverTheLimitIsAnsweredResourceExhausted(Transport transport) throws Exception {
        // A tiny request for a large answer: only the response breaks the limit.
        final StreamRequest request =
                StreamRequest.newBuilder().setCount(1).setSize(MAX_MESSAGE_BYTES + 100).build();
        try (RawWire wire = RawWire.open(transport, portico.port())) {
            final GrpcWebResponse response = call(wire, SERVER_STREAM, GrpcWeb.PROTO, GrpcWeb.frame(request));

            assertThat(response.code()).isEqualTo(8); // RESOURCE_EXHAUSTED
            // The upstream's response head came first, so the status travels in the trailer frame.
            assertThat(response.trailersOnly()).isFalse();
            assertThat(response.messages()).isEmpty();
            assertThat(response.message()).contains("exceeds maximum size " + MAX_MESSAGE_BYTES);
            assertNextCallWorks(transport, wire, true);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void anUnreachableUpstreamIsAnsweredUnavailableWithoutItsAddress(Transport transport) throws Exception {
        final int deadPort = StandalonePortico.closedPort();
        // Round robin from the first: the first call goes to the dead endpoint, the second to the live one (the
        // schema lookup the first call starts in the background takes no turn between them).
        try (DemoBackend live = DemoBackend.start(0);
             StandalonePortico proxy = StandalonePortico.start(
                     List.of("127.0.0.1:" + deadPort, "127.0.0.1:" + live.port()), "");
             RawWire wire = RawWire.open(transport, proxy.port())) {
            final GrpcWebResponse response = call(wire, ECHO, GrpcWeb.PROTO, GrpcWeb.frame(echoRequest("x")));

            assertThat(response.code()).isEqualTo(14); // UNAVAILABLE
            assertThat(response.trailersOnly()).isTrue();
            // grpc-java's wording names the upstream: it goes to the log, not to the client.
            assertThat(response.message()).isEqualTo("upstream unavailable").doesNotContain(
                    String.valueOf(deadPort));
            // The upstream never took the body; Portico drops it. The next call reaches the live endpoint.
            assertNextCallWorks(transport, proxy.port(), wire, true);
        }
    }

    @Test
    void withExposeUpstreamDetailsAnUnreachableUpstreamIsNamed() throws Exception {
        final int deadPort = StandalonePortico.closedPort();
        try (StandalonePortico proxy = StandalonePortico.start(
                     List.of("127.0.0.1:" + deadPort), "portico.errors.expose-upstream-details = true");
             RawWire wire = RawWire.open(Transport.H2C, proxy.port())) {
            final GrpcWebResponse response = call(wire, ECHO, GrpcWeb.PROTO, GrpcWeb.frame(echoRequest("x")));

            assertThat(response.code()).isEqualTo(14); // UNAVAILABLE
            assertThat(response.message()).contains("127.0.0.1:" + deadPort);
        }
    }

    // --- The next call ---

    /**
     * The call after a bad one succeeds: on the same connection if Portico keeps it, else on a new one after
     * Portico closed the old.
     */
    private static void assertNextCallWorks(Transport transport, RawWire wire, boolean connectionKept)
            throws Exception {
        assertNextCallWorks(transport, portico.port(), wire, connectionKept);
    }

    private static void assertNextCallWorks(Transport transport, int port, RawWire wire, boolean connectionKept)
            throws Exception {
        if (connectionKept) {
            assertEchoWorks(wire);
            return;
        }
        assertThat(wire.closesWithin(CLOSE_TIMEOUT)).as("Portico closes the connection").isTrue();
        try (RawWire fresh = RawWire.open(transport, port)) {
            assertEchoWorks(fresh);
        }
    }

    private static void assertEchoWorks(RawWire wire) throws Exception {
        final TestHttpClient.Response raw;
        try {
            raw = wire.exchange("POST", ECHO, GrpcWeb.headers(GrpcWeb.PROTO),
                                GrpcWeb.frame(echoRequest("next")));
        } catch (java.io.IOException | AssertionError e) {
            throw new AssertionError("the connection did not serve the next call", e);
        }
        final GrpcWebResponse response = GrpcWebResponse.of(raw, GrpcWeb.PROTO);
        assertThat(response.code()).isZero();
        assertThat(response.messages(EchoResponse.parser()).get(0).getMessage()).isEqualTo("next");
    }

    /** A gRPC-Web POST in {@code mode} with the usual headers. */
    private static GrpcWebResponse call(RawWire wire, String path, String mode, byte[] body) throws Exception {
        return GrpcWebResponse.of(wire.exchange("POST", path, GrpcWeb.headers(mode), body), mode);
    }

    private static EchoRequest echoRequest(String message) {
        return EchoRequest.newBuilder().setMessage(message).build();
    }

    /** An EchoRequest whose encoding is exactly {@code size} bytes (a payload and nothing else). */
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

    private static String text(TestHttpClient.Response response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }
}
