package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.EchoResponse;
import dev.portico.demo.v1.StreamRequest;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.TestHttpClient;
import dev.portico.proxy.testing.Transport;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** gRPC-Web binary and text calls of every kind, over HTTP/1.1, h2c and TLS, through to a real backend. */
class GrpcWebCallsTest {
    private static final String ECHO = "/portico.demo.v1.DemoService/Echo";
    private static final String SERVER_STREAM = "/portico.demo.v1.DemoService/ServerStream";
    private static final String CLIENT_STREAM = "/portico.demo.v1.DemoService/ClientStream";
    private static final String BIDI_STREAM = "/portico.demo.v1.DemoService/BidiStream";

    private static PorticoFixture cleartext;
    private static PorticoFixture tls;

    @BeforeAll
    static void start() throws Exception {
        cleartext = PorticoFixture.start("");
        tls = PorticoFixture.startTls("");
    }

    @AfterAll
    static void stop() throws Exception {
        cleartext.close();
        tls.close();
    }

    static Stream<Arguments> transportsAndModes() {
        final List<Arguments> combinations = new ArrayList<>();
        for (Transport transport : Transport.values()) {
            for (String mode : List.of(GrpcWeb.PROTO, GrpcWeb.TEXT)) {
                combinations.add(Arguments.of(transport, mode));
            }
        }
        return combinations.stream();
    }

    private static TestHttpClient connect(Transport transport) throws InterruptedException {
        final TestHttpClient client = (transport.isTls() ? tls : cleartext).connect(transport);
        if (transport.isTls()) {
            assertThat(client.negotiatedProtocol()).isEqualTo(transport.isHttp2() ? "h2" : "http/1.1");
        }
        return client;
    }

    private static byte[] requestBody(String mode, byte[] frames) {
        return GrpcWeb.TEXT.equals(mode) ? GrpcWeb.base64(frames) : frames;
    }

    private static GrpcWeb.Body responseBody(String mode, byte[] body) {
        return GrpcWeb.parse(GrpcWeb.TEXT.equals(mode) ? GrpcWeb.decodeText(body) : body);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("transportsAndModes")
    void unaryCallReturnsTheMessageAndAStatusTrailerFrame(Transport transport, String mode) throws Exception {
        try (TestHttpClient client = connect(transport)) {
            final byte[] payload = new byte[1000];
            for (int i = 0; i < payload.length; i++) {
                payload[i] = (byte) i;
            }
            final EchoRequest request = EchoRequest.newBuilder()
                    .setMessage("héllo").setPayload(ByteString.copyFrom(payload)).build();
            final TestHttpClient.Response response = client.call(
                    HttpMethod.POST, ECHO, GrpcWeb.headers(mode), requestBody(mode, GrpcWeb.frame(request)));

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.headers().get("content-type")).isEqualTo(mode);
            final GrpcWeb.Body body = responseBody(mode, response.body());
            final EchoResponse echoed = body.messages(EchoResponse.parser()).get(0);
            assertThat(echoed.getMessage()).isEqualTo("héllo");
            assertThat(echoed.getPayload().toByteArray()).isEqualTo(payload);
            assertThat(body.trailerFrames()).isEqualTo(1);
            assertThat(body.trailer("grpc-status")).isEqualTo("0");

            // The connection serves the next call too.
            final TestHttpClient.Response second = client.call(
                    HttpMethod.POST, ECHO, GrpcWeb.headers(mode), requestBody(mode, GrpcWeb.frame(request)));
            assertThat(responseBody(mode, second.body()).trailer("grpc-status")).isEqualTo("0");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("transportsAndModes")
    void serverStreamDeliversEveryMessageInOrder(Transport transport, String mode) throws Exception {
        try (TestHttpClient client = connect(transport)) {
            final StreamRequest request = StreamRequest.newBuilder().setCount(50).setSize(4096).build();
            final TestHttpClient.Response response = client.call(
                    HttpMethod.POST, SERVER_STREAM, GrpcWeb.headers(mode), requestBody(mode, GrpcWeb.frame(request)));

            final List<EchoResponse> messages = responseBody(mode, response.body()).messages(EchoResponse.parser());
            assertThat(messages).hasSize(50);
            for (int i = 0; i < messages.size(); i++) {
                assertThat(messages.get(i).getIndex()).isEqualTo(i);
                assertThat(messages.get(i).getPayload().size()).isEqualTo(4096);
            }
            assertThat(responseBody(mode, response.body()).trailer("grpc-status")).isEqualTo("0");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("transportsAndModes")
    void serverStreamMessagesArriveAsTheyAreSentNotAtTheEnd(Transport transport, String mode) throws Exception {
        try (TestHttpClient client = connect(transport)) {
            final StreamRequest request = StreamRequest.newBuilder().setCount(3).setSize(10).setIntervalMs(400).build();
            final TestHttpClient.Exchange exchange = client.open(HttpMethod.POST, SERVER_STREAM,
                                                                 GrpcWeb.headers(mode));
            final long start = System.nanoTime();
            exchange.writeAndEnd(requestBody(mode, GrpcWeb.frame(request)));
            final byte[] first = exchange.nextChunk(Duration.ofSeconds(5));
            final long firstMillis = (System.nanoTime() - start) / 1_000_000;

            // The first message is flushed on its own, long before the stream's last one (800 ms later).
            assertThat(first).isNotNull();
            assertThat(firstMillis).isLessThan(600);
            final GrpcWeb.Body firstBody = responseBody(mode, first);
            assertThat(firstBody.messages()).hasSize(1);
            assertThat(exchange.awaitResponse(Duration.ofSeconds(5)).status()).isEqualTo(200);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("transportsAndModes")
    void clientStreamWithTheWholeBodySentFirstCollectsEveryMessage(Transport transport, String mode)
            throws Exception {
        try (TestHttpClient client = connect(transport)) {
            final byte[] frames = GrpcWeb.concat(
                    GrpcWeb.frame(EchoRequest.newBuilder().setMessage("a").build()),
                    GrpcWeb.frame(EchoRequest.newBuilder().setMessage("b").build()),
                    GrpcWeb.frame(EchoRequest.getDefaultInstance()),
                    GrpcWeb.frame(EchoRequest.newBuilder().setMessage("c").build()));
            final TestHttpClient.Response response = client.call(
                    HttpMethod.POST, CLIENT_STREAM, GrpcWeb.headers(mode), requestBody(mode, frames));

            final GrpcWeb.Body body = responseBody(mode, response.body());
            final EchoResponse collected = body.messages(EchoResponse.parser()).get(0);
            assertThat(collected.getMessage()).isEqualTo("a,b,,c");
            assertThat(collected.getIndex()).isEqualTo(4);
            assertThat(body.trailer("grpc-status")).isEqualTo("0");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("http2Transports")
    void bidiStreamAnswersEachMessageBeforeTheRequestEnds(Transport transport) throws Exception {
        try (TestHttpClient client = connect(transport)) {
            final HttpHeaders headers = GrpcWeb.headers(GrpcWeb.PROTO);
            final TestHttpClient.Exchange exchange = client.open(HttpMethod.POST, BIDI_STREAM, headers);
            for (int i = 0; i < 3; i++) {
                exchange.write(GrpcWeb.frame(EchoRequest.newBuilder().setMessage("ping " + i).build()));
                final byte[] answer = exchange.nextChunk(Duration.ofSeconds(5));
                final EchoResponse echoed = GrpcWeb.parse(answer).messages(EchoResponse.parser()).get(0);
                assertThat(echoed.getMessage()).isEqualTo("ping " + i);
                assertThat(echoed.getIndex()).isEqualTo(i);
            }
            exchange.end();
            final TestHttpClient.Response rest = exchange.awaitResponse(Duration.ofSeconds(5));
            assertThat(GrpcWeb.parse(rest.body()).trailer("grpc-status")).isEqualTo("0");
        }
    }

    static Stream<Transport> http2Transports() {
        return Stream.of(Transport.H2C, Transport.H2_TLS);
    }
}
