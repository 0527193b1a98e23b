package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.portico.demo.v1.Demo;
import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.EchoResponse;
import dev.portico.demo.v1.StreamRequest;
import dev.portico.proxy.demo.DemoService;
import dev.portico.proxy.testing.ConnectWire;
import dev.portico.proxy.testing.DescriptorSets;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.RawHttp2Connection;
import dev.portico.proxy.testing.TestHttpClient;
import dev.portico.proxy.testing.Transport;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * When a method's schema is known (here from a descriptor set), Portico enforces its kind in every protocol
 * before any request message goes upstream (PROTOCOLS.md F, the Connect spec): a unary or server-streaming
 * call with no request message or more than one, and a Connect stream to a unary method (or Connect unary
 * to a streaming one), get UNIMPLEMENTED saying what was wrong. The upstream is a real grpc-java server
 * that would have answered otherwise (INTERNAL or CANCELLED); it records every request message it receives,
 * and sees none. Without a schema, calls go as they are and the upstream answers.
 */
class CardinalityTest {
    private static final String ECHO = "/portico.demo.v1.DemoService/Echo";
    private static final String SERVER_STREAM = "/portico.demo.v1.DemoService/ServerStream";
    private static final String CLIENT_STREAM = "/portico.demo.v1.DemoService/ClientStream";

    /** Health checks have nothing to do with cardinality; a slow one on a busy machine would fail calls. */
    private static final String NO_HEALTH_CHECKS = "portico.upstream.health-check.enabled = false";

    private static final AtomicInteger upstreamMessages = new AtomicInteger();
    private static final AtomicInteger upstreamCalls = new AtomicInteger();
    private static ScheduledExecutorService timer;
    private static Server backend;
    private static PorticoFixture withSchema;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        timer = Executors.newSingleThreadScheduledExecutor();
        // No reflection: the schema comes from the descriptor set alone, or is unknown.
        backend = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerInterceptors.intercept(new DemoService(timer).definition(), new CountMessages()))
                .build()
                .start();
        final Path set = Files.write(dir.resolve("demo.binpb"), DescriptorSets.withImports(Demo.getDescriptor()).toByteArray());
        withSchema = PorticoFixture.startInFrontOf(backend.getPort(),
                "portico.schema { reflection = false, descriptor-sets = [\"" + set + "\"] }\n" + NO_HEALTH_CHECKS);
    }

    @AfterAll
    static void stop() throws Exception {
        if (withSchema != null) {
            withSchema.close();
        }
        backend.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        timer.shutdownNow();
    }

    @BeforeEach
    void resetCount() {
        upstreamMessages.set(0);
        upstreamCalls.set(0);
    }

    // ---- gRPC-Web, binary and text ----

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dev.portico.proxy.testing.GrpcWeb#transportsAndModes")
    void grpcWebTwoMessagesToAUnaryMethodAreUnimplementedAndNoneGoesUpstream(Transport transport, String mode)
            throws Exception {
        final TestHttpClient.Response response = call(withSchema, transport, ECHO, GrpcWeb.headers(mode),
                                                      grpcWeb(mode, GrpcWeb.concat(echo("one"), echo("two"))));

        assertUnimplemented(response.headers(), "unary", "more than one");
        assertNothingWentUpstream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dev.portico.proxy.testing.GrpcWeb#transportsAndModes")
    void grpcWebNoMessageToAServerStreamingMethodIsUnimplemented(Transport transport, String mode)
            throws Exception {
        final TestHttpClient.Response response = call(withSchema, transport, SERVER_STREAM, GrpcWeb.headers(mode),
                                                      new byte[0]);

        assertUnimplemented(response.headers(), "server-streaming", "had none");
        assertNothingWentUpstream();
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void grpcWebTwoMessagesToAServerStreamingMethodAreUnimplemented(Transport transport) throws Exception {
        final byte[] twoRequests = GrpcWeb.concat(GrpcWeb.frame(stream(2)), GrpcWeb.frame(stream(3)));
        final TestHttpClient.Response response = call(withSchema, transport, SERVER_STREAM,
                                                      GrpcWeb.headers(GrpcWeb.PROTO), twoRequests);

        assertUnimplemented(response.headers(), "server-streaming", "more than one");
        assertNothingWentUpstream();
    }

    @Test
    void aRequestWhoseHeadersEndTheStreamIsAnsweredAtOnce() throws Exception {
        // HTTP/2 HEADERS with END_STREAM and no DATA frame: the call must still hear that the body ended.
        try (RawHttp2Connection h2 = RawHttp2Connection.connect(withSchema.port())) {
            final int stream = h2.send(h2.post(SERVER_STREAM, GrpcWeb.headers(GrpcWeb.PROTO)), null);
            final RawHttp2Connection.StreamResult result = h2.await(stream, Duration.ofSeconds(10));

            assertThat(result.endStream()).as("the response ended: %s", result).isTrue();
            assertUnimplemented(result.toResponse().headers(), "server-streaming", "had none");
        }
        assertNothingWentUpstream();
    }

    @Test
    void aSecondMessageStreamedLaterOverHttp2FailsTheCallAndTheFirstNeverWentUpstream() throws Exception {
        try (TestHttpClient client = withSchema.connect(Transport.H2C)) {
            final TestHttpClient.Exchange exchange = client.open(HttpMethod.POST, ECHO,
                                                                 GrpcWeb.headers(GrpcWeb.PROTO));
            exchange.write(echo("first"));
            // The first message is held until the body ends: the upstream has nothing yet.
            Thread.sleep(300);
            assertNothingWentUpstream();
            exchange.write(echo("second"));
            final TestHttpClient.Response response = exchange.awaitResponse(Duration.ofSeconds(10));

            assertUnimplemented(response.headers(), "unary", "more than one");
            assertNothingWentUpstream();
        }
    }

    @Test
    void aClientStreamingMethodStillTakesManyMessages() throws Exception {
        final TestHttpClient.Response response = call(withSchema, Transport.H2C, CLIENT_STREAM,
                                                      GrpcWeb.headers(GrpcWeb.PROTO),
                                                      GrpcWeb.concat(echo("a"), echo("b"), echo("c")));

        final GrpcWeb.Body body = GrpcWeb.parse(response.body());
        assertThat(body.trailer("grpc-status")).isEqualTo("0");
        assertThat(body.messages()).hasSize(1);
        assertThat(upstreamMessages.get()).isEqualTo(3);
    }

    // ---- native gRPC ----

    @Test
    void nativeGrpcTwoMessagesToAUnaryMethodAreUnimplemented() throws Exception {
        final TestHttpClient.Response response = call(withSchema, Transport.H2C, ECHO, nativeHeaders(),
                                                      GrpcWeb.concat(echo("one"), echo("two")));

        assertUnimplemented(response.headers(), "unary", "more than one");
        assertNothingWentUpstream();
    }

    @Test
    void nativeGrpcNoMessageToAUnaryMethodIsUnimplemented() throws Exception {
        final TestHttpClient.Response response = call(withSchema, Transport.H2C, ECHO, nativeHeaders(),
                                                      new byte[0]);

        assertUnimplemented(response.headers(), "unary", "had none");
    }

    // ---- Connect ----

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void aConnectStreamToAUnaryMethodIsUnimplemented(Transport transport) throws Exception {
        final TestHttpClient.Response response = call(withSchema, transport, ECHO,
                                                      ConnectWire.streamHeaders("proto"), echo("x"));

        final JsonObject error = ConnectWire.parseStream(response.body()).end().getAsJsonObject("error");
        assertThat(error.get("code").getAsString()).isEqualTo("unimplemented");
        assertThat(error.get("message").getAsString()).contains("unary method").contains("application/proto");
        assertNothingWentUpstream();
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void aConnectStreamWithTwoOrNoMessagesToAServerStreamingMethodIsUnimplemented(Transport transport)
            throws Exception {
        final byte[] two = GrpcWeb.concat(GrpcWeb.frame(stream(1)), GrpcWeb.frame(stream(1)));
        for (byte[] body : List.of(two, new byte[0])) {
            final TestHttpClient.Response response = call(withSchema, transport, SERVER_STREAM,
                                                          ConnectWire.streamHeaders("proto"), body);

            final ConnectWire.Stream stream = ConnectWire.parseStream(response.body());
            assertThat(stream.messages()).isEmpty();
            final JsonObject error = stream.end().getAsJsonObject("error");
            assertThat(error.get("code").getAsString()).isEqualTo("unimplemented");
            assertThat(error.get("message").getAsString())
                    .contains("server-streaming").contains(body.length == 0 ? "had none" : "more than one");
        }
        assertNothingWentUpstream();
    }

    @Test
    void connectUnaryToAServerStreamingMethodIsUnimplemented() throws Exception {
        final TestHttpClient.Response response = call(withSchema, Transport.HTTP1, SERVER_STREAM,
                                                      ConnectWire.unaryHeaders("proto"), stream(1).toByteArray());

        assertThat(response.status()).isEqualTo(501);
        final JsonObject error = ConnectWire.json(response.body());
        assertThat(error.get("code").getAsString()).isEqualTo("unimplemented");
        assertThat(error.get("message").getAsString()).contains("server-streaming").contains("application/connect+");
        assertNothingWentUpstream();
    }

    // ---- without a schema: as before, the upstream decides ----

    @Test
    void withoutASchemaTheCallGoesUpstreamAndGrpcJavaAnswersItself() throws Exception {
        try (PorticoFixture noSchema = PorticoFixture.startInFrontOf(backend.getPort(),
                "portico.schema.reflection = false\n" + NO_HEALTH_CHECKS)) {
            final TestHttpClient.Response response = call(noSchema, Transport.H2C, ECHO,
                                                          GrpcWeb.headers(GrpcWeb.PROTO),
                                                          GrpcWeb.concat(echo("one"), echo("two")));

            // grpc-java's own answer: INTERNAL "Too many requests", or (1.85, two messages in one DATA frame)
            // a reset stream, CANCELLED: an answer that differs by upstream, as PROTOCOLS.md F says.
            assertThat(response.headers().get("grpc-status")).as(response.headers().toString()).isIn("1", "13");
            assertThat(response.headers().get("grpc-message")).doesNotContain("takes exactly one");
        }
    }

    @Test
    void aSchemaLearntByReflectionInTheBackgroundDecidesTheCallsThatFollow() throws Exception {
        // The demo backend serves reflection. A binary call never waits for a schema: the first one starts
        // the lookup and goes as it is; once the schema is cached, calls are checked.
        try (PorticoFixture reflecting = PorticoFixture.start(NO_HEALTH_CHECKS)) {
            final byte[] twoRequests = GrpcWeb.concat(echo("one"), echo("two"));
            String status = null;
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            for (int attempt = 0; attempt < 50 && System.nanoTime() < deadline; attempt++) {
                status = call(reflecting, Transport.H2C, ECHO, GrpcWeb.headers(GrpcWeb.PROTO), twoRequests)
                        .headers().get("grpc-status");
                if ("12".equals(status)) {
                    break;
                }
                assertThat(status).as("before the schema is known, the upstream answers").isIn("1", "13");
                Thread.sleep(100);
            }
            assertThat(status).isEqualTo("12");
        }
    }

    // ---- Helpers ----

    /** A gRPC-Web or native gRPC error before any message: trailers-only, the status in the headers. */
    private static void assertUnimplemented(HttpHeaders headers, String kind, String what) {
        assertThat(headers.get("grpc-status")).isEqualTo("12");
        assertThat(headers.get("grpc-message")).contains("DemoService/").contains(kind).contains(what);
    }

    private static TestHttpClient.Response call(PorticoFixture portico, Transport transport, String path,
                                                HttpHeaders headers, byte[] body) throws Exception {
        try (TestHttpClient client = portico.connect(transport)) {
            return client.call(HttpMethod.POST, path, headers, body);
        }
    }

    private static HttpHeaders nativeHeaders() {
        return GrpcWeb.headers("application/grpc").set("te", "trailers");
    }

    private static byte[] grpcWeb(String mode, byte[] frames) {
        return mode.equals(GrpcWeb.TEXT) ? GrpcWeb.base64(frames) : frames;
    }

    private static byte[] echo(String message) {
        return GrpcWeb.frame(EchoRequest.newBuilder().setMessage(message).build());
    }

    private static StreamRequest stream(int count) {
        return StreamRequest.newBuilder().setCount(count).setSize(4).build();
    }


    /** A refused call never reached the backend: not a message, not even its headers. */
    private static void assertNothingWentUpstream() {
        assertThat(upstreamMessages.get()).as("request messages upstream").isZero();
        assertThat(upstreamCalls.get()).as("calls upstream").isZero();
    }

    /** Counts every call and every request message that reach the backend's service. */
    private static final class CountMessages implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                           ServerCallHandler<Q, R> next) {
            upstreamCalls.incrementAndGet();
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
                    next.startCall(call, headers)) {
                @Override
                public void onMessage(Q message) {
                    upstreamMessages.incrementAndGet();
                    super.onMessage(message);
                }
            };
        }
    }
}
