package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.protobuf.ByteString;
import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.EchoResponse;
import dev.portico.demo.v1.FailRequest;
import dev.portico.demo.v1.StreamRequest;
import dev.portico.proxy.testing.ConnectWire;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.TestHttpClient;
import dev.portico.proxy.testing.Transport;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Connect protocol through Portico to a real grpc-java backend: unary POST (proto and JSON), GET,
 * streaming, errors with details, compression, deadlines and bad input, over HTTP/1.1 and h2c.
 */
class ConnectTest {
    private static final String ECHO = "/portico.demo.v1.DemoService/Echo";
    private static final String FAIL = "/portico.demo.v1.DemoService/Fail";
    private static final String SERVER_STREAM = "/portico.demo.v1.DemoService/ServerStream";
    private static final String CLIENT_STREAM = "/portico.demo.v1.DemoService/ClientStream";
    private static final String BIDI_STREAM = "/portico.demo.v1.DemoService/BidiStream";

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
    void unaryProtoReturnsTheMessageWithHeadersAndPrefixedTrailers(Transport transport) throws Exception {
        try (TestHttpClient client = fixture.connect(transport)) {
            final HttpHeaders headers = ConnectWire.unaryHeaders("proto").set("x-echo-foo", "bar");
            final TestHttpClient.Response response = client.call(HttpMethod.POST, ECHO, headers,
                    EchoRequest.newBuilder().setMessage("hi").setPayload(ByteString.copyFromUtf8("xyz")).build()
                               .toByteArray());

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.headers().get("content-type")).isEqualTo("application/proto");
            assertThat(response.headers().get("x-echo-foo")).isEqualTo("bar");
            assertThat(response.headers().get("trailer-x-trailer-foo")).isEqualTo("bar");
            final EchoResponse echoed = EchoResponse.parseFrom(response.body());
            assertThat(echoed.getMessage()).isEqualTo("hi");
            assertThat(echoed.getPayload().toStringUtf8()).isEqualTo("xyz");
        }
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void unaryJsonIsTranscodedWithTheSchemaLearntByReflection(Transport transport) throws Exception {
        try (TestHttpClient client = fixture.connect(transport)) {
            final TestHttpClient.Response response = client.call(HttpMethod.POST, ECHO,
                    ConnectWire.unaryHeaders("json"), ConnectWire.utf8("{\"message\":\"héllo\",\"payload\":\"AQID\"}"));

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.headers().get("content-type")).isEqualTo("application/json");
            final JsonObject json = ConnectWire.json(response.body());
            assertThat(json.get("message").getAsString()).isEqualTo("héllo");
            assertThat(json.get("payload").getAsString()).isEqualTo("AQID");
        }
    }

    @Test
    void anErrorIsJsonWithTheCodeTheHttpStatusOfTheSpecAndItsDetails() throws Exception {
        try (TestHttpClient client = fixture.connect(Transport.HTTP1)) {
            final TestHttpClient.Response response = client.call(HttpMethod.POST, FAIL,
                    ConnectWire.unaryHeaders("proto"),
                    FailRequest.newBuilder().setCode(5).setMessage("nöt here").setWithDetails(true).build()
                               .toByteArray());

            assertThat(response.status()).isEqualTo(404);
            assertThat(response.headers().get("content-type")).isEqualTo("application/json");
            final JsonObject error = ConnectWire.json(response.body());
            assertThat(error.get("code").getAsString()).isEqualTo("not_found");
            assertThat(error.get("message").getAsString()).isEqualTo("nöt here");
            final JsonObject detail = error.getAsJsonArray("details").get(0).getAsJsonObject();
            assertThat(detail.get("type").getAsString()).isEqualTo("google.rpc.ErrorInfo");
            final com.google.rpc.ErrorInfo info = com.google.rpc.ErrorInfo.parseFrom(
                    Base64.getDecoder().decode(detail.get("value").getAsString()));
            assertThat(info.getReason()).isEqualTo("DEMO_FAILURE");
            assertThat(detail.getAsJsonObject("debug").get("reason").getAsString()).isEqualTo("DEMO_FAILURE");
        }
    }

    @Test
    void everyCodeMapsToTheHttpStatusOfTheConnectSpec() throws Exception {
        final int[] expected = {0, 499, 500, 400, 504, 404, 409, 403, 429, 400, 409, 400, 501, 500, 503, 500, 401};
        try (TestHttpClient client = fixture.connect(Transport.H2C)) {
            for (int code = 1; code <= 16; code++) {
                final TestHttpClient.Response response = client.call(HttpMethod.POST, FAIL,
                        ConnectWire.unaryHeaders("json"), ConnectWire.utf8("{\"code\":" + code + "}"));
                assertThat(response.status()).as("code %d", code).isEqualTo(expected[code]);
            }
        }
    }

    @Test
    void getCallsAMethodWithoutSideEffectsAndIsCacheable() throws Exception {
        try (TestHttpClient client = fixture.connect(Transport.HTTP1)) {
            final String message = Base64.getUrlEncoder().withoutPadding().encodeToString(
                    EchoRequest.newBuilder().setMessage("cached").build().toByteArray());
            final TestHttpClient.Response response = client.call(HttpMethod.GET,
                    ECHO + "?connect=v1&encoding=proto&base64=1&message=" + message, new DefaultHttpHeaders(),
                    new byte[0]);

            assertThat(response.status()).isEqualTo(200);
            assertThat(EchoResponse.parseFrom(response.body()).getMessage()).isEqualTo("cached");
            assertThat(response.headers().get("etag")).isNotBlank();

            final TestHttpClient.Response json = client.call(HttpMethod.GET,
                    ECHO + "?encoding=json&message=%7B%22message%22%3A%22plain%22%7D", new DefaultHttpHeaders(),
                    new byte[0]);
            assertThat(ConnectWire.json(json.body()).get("message").getAsString()).isEqualTo("plain");
        }
    }

    @Test
    void getIsRefusedForAMethodThatMayHaveSideEffects() throws Exception {
        try (TestHttpClient client = fixture.connect(Transport.HTTP1)) {
            final TestHttpClient.Response response = client.call(HttpMethod.GET,
                    FAIL + "?encoding=json&message=%7B%7D", new DefaultHttpHeaders(), new byte[0]);

            assertThat(response.status()).isEqualTo(501);
            assertThat(ConnectWire.json(response.body()).get("message").getAsString()).contains("POST");
            assertEchoWorks(client);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void serverStreamEndsWithAnEndStreamMessageCarryingTrailers(Transport transport) throws Exception {
        try (TestHttpClient client = fixture.connect(transport)) {
            final HttpHeaders headers = ConnectWire.streamHeaders("proto").set("x-echo-foo", "bar");
            final TestHttpClient.Response response = client.call(HttpMethod.POST, SERVER_STREAM, headers,
                    ConnectWire.envelope(0, StreamRequest.newBuilder().setCount(5).setSize(10).build().toByteArray()));

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.headers().get("content-type")).isEqualTo("application/connect+proto");
            final ConnectWire.Stream stream = ConnectWire.parseStream(response.body());
            assertThat(stream.messages()).hasSize(5);
            assertThat(EchoResponse.parseFrom(stream.messages().get(4)).getIndex()).isEqualTo(4);
            assertThat(stream.end().has("error")).isFalse();
            assertThat(stream.end().getAsJsonObject("metadata").getAsJsonArray("x-trailer-foo").get(0).getAsString())
                    .isEqualTo("bar");
        }
    }

    @Test
    void aStreamThatFailsMidwayEndsWithTheErrorInItsEndStreamMessage() throws Exception {
        try (TestHttpClient client = fixture.connect(Transport.H2C)) {
            final TestHttpClient.Response response = client.call(HttpMethod.POST, SERVER_STREAM,
                    ConnectWire.streamHeaders("json"),
                    ConnectWire.envelope(0, ConnectWire.utf8("{\"count\":2,\"failCode\":10}")));

            final ConnectWire.Stream stream = ConnectWire.parseStream(response.body());
            assertThat(response.status()).isEqualTo(200);
            assertThat(stream.messages()).hasSize(2);
            assertThat(ConnectWire.json(stream.messages().get(1)).get("index").getAsInt()).isEqualTo(1);
            assertThat(stream.end().getAsJsonObject("error").get("code").getAsString()).isEqualTo("aborted");
        }
    }

    @Test
    void clientAndBidiStreamsWorkOverHttp2() throws Exception {
        try (TestHttpClient client = fixture.connect(Transport.H2C)) {
            final byte[] body = GrpcWeb.concat(
                    ConnectWire.envelope(0, EchoRequest.newBuilder().setMessage("a").build().toByteArray()),
                    ConnectWire.envelope(0, EchoRequest.newBuilder().setMessage("b").build().toByteArray()));
            final TestHttpClient.Response collected = client.call(HttpMethod.POST, CLIENT_STREAM,
                    ConnectWire.streamHeaders("proto"), body);
            final ConnectWire.Stream stream = ConnectWire.parseStream(collected.body());
            assertThat(EchoResponse.parseFrom(stream.messages().get(0)).getMessage()).isEqualTo("a,b");

            final TestHttpClient.Exchange bidi = client.open(HttpMethod.POST, BIDI_STREAM,
                                                             ConnectWire.streamHeaders("json"));
            bidi.write(ConnectWire.envelope(0, ConnectWire.utf8("{\"message\":\"ping\"}")));
            final byte[] answer = bidi.nextChunk(Duration.ofSeconds(5));
            assertThat(new String(answer, 5, answer.length - 5, StandardCharsets.UTF_8))
                    .contains("\"message\":\"ping\"");
            bidi.end();
            assertThat(ConnectWire.parseStream(bidi.awaitResponse(Duration.ofSeconds(5)).body()).end().has("error"))
                    .isFalse();
        }
    }

    @Test
    void gzipIsAcceptedAndReturnedForUnaryCalls() throws Exception {
        try (TestHttpClient client = fixture.connect(Transport.HTTP1)) {
            final byte[] payload = "compress me ".repeat(500).getBytes();
            final HttpHeaders headers = ConnectWire.unaryHeaders("proto")
                    .set("content-encoding", "gzip").set("accept-encoding", "gzip");
            final TestHttpClient.Response response = client.call(HttpMethod.POST, ECHO, headers,
                    gzip(EchoRequest.newBuilder().setPayload(ByteString.copyFrom(payload)).build().toByteArray()));

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.headers().get("content-encoding")).isEqualTo("gzip");
            assertThat(response.body().length).isLessThan(payload.length / 4);
            assertThat(EchoResponse.parseFrom(gunzip(response.body())).getPayload().toByteArray()).isEqualTo(payload);
        }
    }

    @Test
    void gzipIsUsedPerMessageInStreams() throws Exception {
        try (TestHttpClient client = fixture.connect(Transport.H2C)) {
            final HttpHeaders headers = ConnectWire.streamHeaders("proto")
                    .set("connect-content-encoding", "gzip").set("connect-accept-encoding", "gzip");
            final TestHttpClient.Response response = client.call(HttpMethod.POST, SERVER_STREAM, headers,
                    ConnectWire.envelope(1, gzip(StreamRequest.newBuilder().setCount(2).setSize(5000).build()
                                                              .toByteArray())));

            assertThat(response.headers().get("connect-content-encoding")).isEqualTo("gzip");
            final ConnectWire.Stream stream = ConnectWire.parseStream(response.body());
            assertThat(stream.compressed()).containsExactly(true, true);
            assertThat(EchoResponse.parseFrom(gunzip(stream.messages().get(1))).getPayload().size()).isEqualTo(5000);
        }
    }

    @Test
    void anUnsupportedCompressionIsUnimplementedAndNamesTheSupportedOnes() throws Exception {
        try (TestHttpClient client = fixture.connect(Transport.HTTP1)) {
            final TestHttpClient.Response response = client.call(HttpMethod.POST, ECHO,
                    ConnectWire.unaryHeaders("proto").set("content-encoding", "br"), new byte[] {1, 2, 3});

            assertThat(response.status()).isEqualTo(501);
            final JsonObject error = ConnectWire.json(response.body());
            assertThat(error.get("code").getAsString()).isEqualTo("unimplemented");
            assertThat(error.get("message").getAsString()).contains("gzip");
            assertEchoWorks(client);
        }
    }

    @Test
    void aZipBombIsStoppedAtTheMessageLimit() throws Exception {
        try (PorticoFixture small = PorticoFixture.start("portico.limits.max-message-bytes = 64 KiB");
             TestHttpClient client = small.connect(Transport.HTTP1)) {
            final byte[] bomb = gzip(EchoRequest.newBuilder()
                    .setPayload(ByteString.copyFrom(new byte[10 * 1024 * 1024])).build().toByteArray());
            final TestHttpClient.Response response = client.call(HttpMethod.POST, ECHO,
                    ConnectWire.unaryHeaders("proto").set("content-encoding", "gzip"), bomb);

            assertThat(bomb.length).isLessThan(64 * 1024);
            assertThat(response.status()).isEqualTo(429);
            assertThat(ConnectWire.json(response.body()).get("code").getAsString()).isEqualTo("resource_exhausted");
            assertEchoWorks(client);
        }
    }

    @Test
    void connectTimeoutMsBecomesTheDeadline() throws Exception {
        try (TestHttpClient client = fixture.connect(Transport.HTTP1)) {
            final long start = System.nanoTime();
            final TestHttpClient.Response response = client.call(HttpMethod.POST, ECHO,
                    ConnectWire.unaryHeaders("proto").set("connect-timeout-ms", "200"),
                    EchoRequest.newBuilder().setSleepMs(3000).build().toByteArray());

            assertThat(response.status()).isEqualTo(504);
            assertThat(ConnectWire.json(response.body()).get("code").getAsString()).isEqualTo("deadline_exceeded");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(2000));
        }
    }

    @Test
    void badInputGetsAConnectErrorAndTheNextCallWorks() throws Exception {
        try (TestHttpClient client = fixture.connect(Transport.HTTP1)) {
            final List<Object[]> cases = List.of(
                    new Object[] {ConnectWire.unaryHeaders("json"), ConnectWire.utf8("{\"message\":"), 400},
                    new Object[] {ConnectWire.unaryHeaders("json"), ConnectWire.utf8("{\"nope\":1}"), 400},
                    new Object[] {ConnectWire.unaryHeaders("json").set("connect-protocol-version", "2"),
                                  ConnectWire.utf8("{}"), 400},
                    new Object[] {ConnectWire.unaryHeaders("proto").set("connect-timeout-ms", "12345678901"),
                                  new byte[0], 400});
            for (Object[] c : cases) {
                final TestHttpClient.Response response = client.call(HttpMethod.POST, ECHO, (HttpHeaders) c[0],
                                                                     (byte[]) c[1]);
                assertThat(response.status()).isEqualTo((int) c[2]);
                assertThat(ConnectWire.json(response.body()).get("code").getAsString()).isEqualTo("invalid_argument");
                assertEchoWorks(client);
            }
            final TestHttpClient.Response noMessage = client.call(HttpMethod.GET, ECHO + "?encoding=json",
                                                                  new DefaultHttpHeaders(), new byte[0]);
            assertThat(noMessage.status()).isEqualTo(400);
            assertEchoWorks(client);
            // A malformed percent escape in the query or the path: invalid_argument, the connection stays.
            for (String uri : List.of(ECHO + "?encoding=json&message=%9", ECHO + "?encoding=json&message=%zz",
                                      ECHO + "%9?encoding=json&message=%7B%7D")) {
                final TestHttpClient.Response badEscape = client.call(HttpMethod.GET, uri,
                                                                      new DefaultHttpHeaders(), new byte[0]);
                assertThat(badEscape.status()).as(uri).isEqualTo(400);
                assertThat(ConnectWire.json(badEscape.body()).get("code").getAsString())
                        .isEqualTo("invalid_argument");
                assertThat(ConnectWire.json(badEscape.body()).get("message").getAsString())
                        .contains("malformed URL");
                assertEchoWorks(client);
            }
        }
    }

    @Test
    void anEndStreamFlagFromTheClientIsRejected() throws Exception {
        try (TestHttpClient client = fixture.connect(Transport.H2C)) {
            final TestHttpClient.Response response = client.call(HttpMethod.POST, CLIENT_STREAM,
                    ConnectWire.streamHeaders("json"), ConnectWire.envelope(2, ConnectWire.utf8("{}")));

            assertThat(response.status()).isEqualTo(200);
            assertThat(ConnectWire.parseStream(response.body()).end().getAsJsonObject("error").get("code")
                                  .getAsString()).isEqualTo("invalid_argument");
            assertEchoWorks(client);
        }
    }

    @Test
    void unknownJsonFieldsAreIgnoredWhenConfigured() throws Exception {
        try (PorticoFixture lenient = PorticoFixture.start("portico.connect.reject-unknown-json-fields = false");
             TestHttpClient client = lenient.connect(Transport.HTTP1)) {
            final TestHttpClient.Response response = client.call(HttpMethod.POST, ECHO,
                    ConnectWire.unaryHeaders("json"), ConnectWire.utf8("{\"message\":\"ok\",\"extra\":true}"));
            assertThat(ConnectWire.json(response.body()).get("message").getAsString()).isEqualTo("ok");
        }
    }

    @Test
    void theProtocolVersionHeaderCanBeRequired() throws Exception {
        try (PorticoFixture strict = PorticoFixture.start("portico.connect.require-protocol-version = true");
             TestHttpClient client = strict.connect(Transport.HTTP1)) {
            final TestHttpClient.Response response = client.call(HttpMethod.POST, ECHO,
                    new DefaultHttpHeaders().set("content-type", "application/json"), ConnectWire.utf8("{}"));
            assertThat(response.status()).isEqualTo(400);
            assertThat(ConnectWire.json(response.body()).get("message").getAsString())
                    .contains("Connect-Protocol-Version");
        }
    }

    @Test
    void grpcWebJsonIsTranscodedToo() throws Exception {
        try (TestHttpClient client = fixture.connect(Transport.HTTP1)) {
            final TestHttpClient.Response response = client.call(HttpMethod.POST, ECHO,
                    new DefaultHttpHeaders().set("content-type", "application/grpc-web+json"),
                    ConnectWire.envelope(0, ConnectWire.utf8("{\"message\":\"web json\"}")));

            assertThat(response.headers().get("content-type")).isEqualTo("application/grpc-web+json");
            final var body = GrpcWeb.parse(response.body());
            assertThat(ConnectWire.json(body.messages().get(0)).get("message").getAsString()).isEqualTo("web json");
            assertThat(body.trailer("grpc-status")).isEqualTo("0");
        }
    }

    private static void assertEchoWorks(TestHttpClient client) throws Exception {
        final TestHttpClient.Response ok = client.call(HttpMethod.POST, ECHO, ConnectWire.unaryHeaders("proto"),
                EchoRequest.newBuilder().setMessage("still fine").build().toByteArray());
        assertThat(ok.status()).isEqualTo(200);
        assertThat(EchoResponse.parseFrom(ok.body()).getMessage()).isEqualTo("still fine");
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(bytes);
        }
        return out.toByteArray();
    }

    private static byte[] gunzip(byte[] bytes) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(bytes))) {
            return in.readAllBytes();
        }
    }
}
