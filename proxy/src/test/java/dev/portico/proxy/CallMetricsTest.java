package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.demo.v1.DemoServiceGrpc;
import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.EchoResponse;
import dev.portico.demo.v1.FailRequest;
import dev.portico.demo.v1.StreamRequest;
import dev.portico.proxy.demo.DemoService;
import dev.portico.proxy.testing.ConnectWire;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.PrometheusScrape;
import dev.portico.proxy.testing.SingleResponse;
import dev.portico.proxy.testing.TestHttpClient;
import dev.portico.proxy.testing.Transport;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.stub.StreamObserver;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The call, connection, CORS, schema and process series of {@code /metrics}, moved by real calls through
 * Portico to a real grpc-java backend and read back from the Prometheus text: each test gets a fresh Portico,
 * so every count is exact.
 */
class CallMetricsTest {
    private static final String ECHO = "/portico.demo.v1.DemoService/Echo";
    private static final String ECHO_TAG = "portico.demo.v1.DemoService/Echo";
    private static final String APP = "https://app.example.com";
    /** Few buckets and a small method cap, so that both are easy to see in the exposition. */
    private static final String HOCON =
            "portico.metrics { latency-buckets = [5ms, 50ms, 500ms, 5s], max-methods = 4 }\n"
            + "portico.cors.allowed-origins = [\"" + APP + "\"]";
    private static final String EVIL = "https://evil.example.com";

    private PorticoFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = PorticoFixture.start(HOCON).awaitReady(Duration.ofSeconds(10));
    }

    @AfterEach
    void stop() throws Exception {
        if (fixture != null) {
            fixture.close();
        }
    }

    private PrometheusScrape scrape() throws Exception {
        return PrometheusScrape.fetch(fixture.adminPort());
    }

    // ---- latency ----

    @Test
    void callLatencyIsAHistogramWithTheConfiguredBucketsCountingEveryCall() throws Exception {
        try (TestHttpClient client = fixture.connect(Transport.HTTP1)) {
            for (int i = 0; i < 5; i++) {
                assertOk(client.call(HttpMethod.POST, ECHO, GrpcWeb.headers(GrpcWeb.PROTO), echo("call " + i)));
            }
            final TestHttpClient.Response failed = client.call(
                    HttpMethod.POST, "/portico.demo.v1.DemoService/Fail", GrpcWeb.headers(GrpcWeb.PROTO),
                    GrpcWeb.frame(FailRequest.newBuilder().setCode(5).setMessage("missing").build()));
            assertThat(failed.headers().get("grpc-status")).isEqualTo("5");
        }

        final PrometheusScrape metrics = scrape();
        final Map<String, String> echoOk = Map.of("protocol", "grpc-web", "method", ECHO_TAG, "code", "OK");
        final SortedMap<Double, Double> buckets = metrics.buckets("portico_request_duration_seconds", echoOk);
        assertThat(buckets.keySet()).as("in:%n%s", metrics.text())
                .containsExactly(0.005, 0.05, 0.5, 5.0, Double.POSITIVE_INFINITY);
        assertCumulative(buckets);
        assertThat(buckets.get(Double.POSITIVE_INFINITY)).isEqualTo(5.0);
        assertThat(metrics.value("portico_request_duration_seconds_count", echoOk)).hasValue(5.0);
        assertThat(metrics.value("portico_request_duration_seconds_sum", echoOk).orElseThrow()).isPositive();
        assertThat(metrics.value("portico_request_duration_seconds_count", Map.of(
                "protocol", "grpc-web", "method", "portico.demo.v1.DemoService/Fail", "code", "NOT_FOUND")))
                .hasValue(1.0);
        assertThat(metrics.sum("portico_request_duration_seconds_count")).isEqualTo(6.0);
        // Every call had one response message: one first-byte observation each (Fail's answer had none).
        final Map<String, String> echo = Map.of("protocol", "grpc-web", "method", ECHO_TAG);
        assertThat(metrics.buckets("portico_response_first_byte_seconds", echo).keySet())
                .containsExactly(0.005, 0.05, 0.5, 5.0, Double.POSITIVE_INFINITY);
        assertThat(metrics.value("portico_response_first_byte_seconds_count", echo)).hasValue(5.0);
        assertThat(metrics.sum("portico_response_first_byte_seconds_count")).isEqualTo(5.0);
    }

    // ---- messages and bytes ----

    @Test
    void unaryCallsCountTheMessagesAndBodyBytesAsSentEachWay() throws Exception {
        final byte[] binary = echo("binary");
        final byte[] text = GrpcWeb.base64(echo("text, counted as the base64 the client sent"));
        final TestHttpClient.Response binaryResponse;
        final TestHttpClient.Response textResponse;
        try (TestHttpClient client = fixture.connect(Transport.HTTP1)) {
            binaryResponse = assertOk(client.call(HttpMethod.POST, ECHO, GrpcWeb.headers(GrpcWeb.PROTO),
                                                  binary));
        }
        try (TestHttpClient client = fixture.connect(Transport.H2C)) {
            textResponse = client.call(HttpMethod.POST, ECHO, GrpcWeb.headers(GrpcWeb.TEXT), text);
            assertThat(GrpcWeb.parse(GrpcWeb.decodeText(textResponse.body())).trailer("grpc-status"))
                    .isEqualTo("0");
        }

        final PrometheusScrape metrics = scrape();
        final Map<String, String> grpcWeb = Map.of("protocol", "grpc-web", "method", ECHO_TAG);
        assertThat(metrics.value("portico_request_bytes_total", grpcWeb)).as("in:%n%s", metrics.text())
                .hasValue(binary.length);
        assertThat(metrics.value("portico_response_bytes_total", grpcWeb))
                .hasValue(binaryResponse.body().length);
        assertThat(metrics.value("portico_request_messages_total", grpcWeb)).hasValue(1.0);
        assertThat(metrics.value("portico_response_messages_total", grpcWeb)).hasValue(1.0);
        final Map<String, String> grpcWebText = Map.of("protocol", "grpc-web-text", "method", ECHO_TAG);
        assertThat(metrics.value("portico_request_bytes_total", grpcWebText)).hasValue(text.length);
        assertThat(metrics.value("portico_response_bytes_total", grpcWebText))
                .hasValue(textResponse.body().length);
        assertThat(metrics.value("portico_request_messages_total", grpcWebText)).hasValue(1.0);
        assertThat(metrics.value("portico_response_messages_total", grpcWebText)).hasValue(1.0);
    }

    @Test
    void streamsCountEveryMessageAndByteEachWay() throws Exception {
        final byte[] request = GrpcWeb.frame(StreamRequest.newBuilder().setCount(7).setSize(300).build());
        final TestHttpClient.Response stream;
        try (TestHttpClient client = fixture.connect(Transport.H2C)) {
            stream = client.call(HttpMethod.POST, "/portico.demo.v1.DemoService/ServerStream",
                                 GrpcWeb.headers(GrpcWeb.PROTO), request);
        }
        assertThat(GrpcWeb.parse(stream.body()).messages()).hasSize(7);
        // Native gRPC client streaming: each message is a 5-byte envelope and the message on the wire.
        final List<EchoRequest> sent = List.of(echoRequest("one"), echoRequest("two, a little longer"),
                                               echoRequest(""), echoRequest("four"));
        long sentBytes = 0;
        for (EchoRequest message : sent) {
            sentBytes += 5 + message.getSerializedSize();
        }
        clientStream(sent);

        final PrometheusScrape metrics = scrape();
        final Map<String, String> serverStream = Map.of(
                "protocol", "grpc-web", "method", "portico.demo.v1.DemoService/ServerStream");
        assertThat(metrics.value("portico_response_messages_total", serverStream)).as("in:%n%s", metrics.text())
                .hasValue(7.0);
        assertThat(metrics.value("portico_response_bytes_total", serverStream)).hasValue(stream.body().length);
        assertThat(metrics.value("portico_request_messages_total", serverStream)).hasValue(1.0);
        assertThat(metrics.value("portico_request_bytes_total", serverStream)).hasValue(request.length);
        assertThat(metrics.value("portico_response_first_byte_seconds_count", serverStream)).hasValue(1.0);
        final Map<String, String> clientStream = Map.of(
                "protocol", "grpc", "method", "portico.demo.v1.DemoService/ClientStream");
        assertThat(metrics.value("portico_request_messages_total", clientStream)).hasValue(4.0);
        assertThat(metrics.value("portico_request_bytes_total", clientStream)).hasValue(sentBytes);
        assertThat(metrics.value("portico_response_messages_total", clientStream)).hasValue(1.0);
    }

    // ---- cardinality ----

    @Test
    void randomMethodPathsDoNotGrowTheNumberOfSeries() throws Exception {
        try (TestHttpClient client = fixture.connect(Transport.H2C)) {
            callRandomMethods(client, 6);
            final PrometheusScrape before = scrape();
            callRandomMethods(client, 20);
            final PrometheusScrape after = scrape();

            for (String family : List.of("portico_request", "portico_response")) {
                assertThat(after.countStartingWith(family)).as("%s series in:%n%s", family, after.text())
                        .isEqualTo(before.countStartingWith(family));
            }
            final Set<String> methods = new HashSet<>();
            after.samples("portico_requests_total").forEach(s -> methods.add(s.labels().get("method")));
            // max-methods = 4: four names of their own, all the others under "other".
            assertThat(methods).hasSize(5).contains("other");
            assertThat(after.value("portico_requests_total", Map.of("method", "other")).orElseThrow())
                    .isEqualTo(22.0);
        }
    }

    // ---- connections ----

    @Test
    void connectionsAreCountedByHttpVersionAndTls() throws Exception {
        try (TestHttpClient http1 = fixture.connect(Transport.HTTP1);
             TestHttpClient h2c = fixture.connect(Transport.H2C)) {
            assertOk(http1.call(HttpMethod.POST, ECHO, GrpcWeb.headers(GrpcWeb.PROTO), echo("h1")));
            assertOk(h2c.call(HttpMethod.POST, ECHO, GrpcWeb.headers(GrpcWeb.PROTO), echo("h2")));

            final PrometheusScrape open = scrape();
            assertThat(open.value("portico_connections_open", cleartext("http1.1")))
                    .as("in:%n%s", open.text()).hasValue(1.0);
            assertThat(open.value("portico_connections_open", cleartext("h2"))).hasValue(1.0);
        }
        // A connection that never speaks HTTP is counted when it closes.
        try (Socket silent = new Socket()) {
            silent.connect(new InetSocketAddress("127.0.0.1", fixture.port()), 5000);
        }

        final PrometheusScrape closed = PrometheusScrape.await(fixture.adminPort(),
                m -> m.sum("portico_connections_open") == 0.0
                     && m.value("portico_connections_accepted_total", cleartext("none")).orElse(0) == 1,
                Duration.ofSeconds(10));
        assertThat(closed.value("portico_connections_accepted_total", cleartext("http1.1")))
                .as("in:%n%s", closed.text()).hasValue(1.0);
        assertThat(closed.value("portico_connections_accepted_total", cleartext("h2"))).hasValue(1.0);
        assertThat(closed.value("portico_connections_accepted_total", cleartext("none"))).hasValue(1.0);
        assertThat(closed.samples("portico_connections_open")).allMatch(s -> s.value() == 0.0);
    }

    @Test
    void tlsConnectionsCarryTheTlsTag() throws Exception {
        try (PorticoFixture tls = PorticoFixture.startTls("").awaitReady(Duration.ofSeconds(10))) {
            try (TestHttpClient h2 = tls.connect(Transport.H2_TLS);
                 TestHttpClient http1 = tls.connect(Transport.HTTP1_TLS)) {
                assertOk(h2.call(HttpMethod.POST, ECHO, GrpcWeb.headers(GrpcWeb.PROTO), echo("h2")));
                assertOk(http1.call(HttpMethod.POST, ECHO, GrpcWeb.headers(GrpcWeb.PROTO), echo("h1")));

                final PrometheusScrape metrics = PrometheusScrape.fetch(tls.adminPort());
                assertThat(metrics.value("portico_connections_accepted_total",
                                         Map.of("http_version", "h2", "tls", "true")))
                        .as("in:%n%s", metrics.text()).hasValue(1.0);
                assertThat(metrics.value("portico_connections_accepted_total",
                                         Map.of("http_version", "http1.1", "tls", "true"))).hasValue(1.0);
                assertThat(metrics.samples("portico_connections_accepted_total"))
                        .allMatch(s -> s.labels().get("tls").equals("true"));
            }
        }
    }

    // ---- CORS ----

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void corsPreflightsAndRejectedOriginsAreCounted(Transport transport) throws Exception {
        try (TestHttpClient client = fixture.connect(transport)) {
            assertThat(client.call(HttpMethod.OPTIONS, ECHO, preflight(APP), new byte[0]).status())
                    .isEqualTo(204);
            assertThat(client.call(HttpMethod.OPTIONS, ECHO, preflight(EVIL), new byte[0]).status())
                    .isEqualTo(403);
            // A call from an origin that is not allowed is served, without a grant, and counted.
            final TestHttpClient.Response call = assertOk(client.call(
                    HttpMethod.POST, ECHO, GrpcWeb.headers(GrpcWeb.PROTO).set("origin", EVIL),
                    echo("no grant")));
            assertThat(call.headers().contains("access-control-allow-origin")).isFalse();
            assertOk(client.call(HttpMethod.POST, ECHO, GrpcWeb.headers(GrpcWeb.PROTO).set("origin", APP),
                                 echo("granted")));
        }

        final PrometheusScrape metrics = scrape();
        assertThat(metrics.value("portico_cors_preflights_total", Map.of())).as("in:%n%s", metrics.text())
                .hasValue(2.0);
        assertThat(metrics.value("portico_cors_rejected_total", Map.of())).hasValue(2.0);
    }

    // ---- schema lookups ----

    @Test
    void schemaLookupsAreCountedAsHitsAndMisses() throws Exception {
        try (TestHttpClient client = fixture.connect(Transport.HTTP1)) {
            // JSON needs the schema: learnt by reflection from the backend, then from the cache.
            for (int i = 0; i < 2; i++) {
                final TestHttpClient.Response ok = client.call(HttpMethod.POST, ECHO,
                        ConnectWire.unaryHeaders("json"), ConnectWire.utf8("{\"message\":\"json\"}"));
                assertThat(ok.status()).as(new String(ok.body())).isEqualTo(200);
            }
            final TestHttpClient.Response unknown = client.call(HttpMethod.POST, "/nope.v1.Nope/Call",
                    ConnectWire.unaryHeaders("json"), ConnectWire.utf8("{}"));
            assertThat(ConnectWire.json(unknown.body()).get("code").getAsString()).isEqualTo("unimplemented");
        }

        final PrometheusScrape metrics = scrape();
        assertThat(metrics.value("portico_schema_lookups_total", Map.of("result", "hit")))
                .as("in:%n%s", metrics.text()).hasValue(2.0);
        assertThat(metrics.value("portico_schema_lookups_total", Map.of("result", "miss"))).hasValue(1.0);
        assertThat(metrics.value("portico_schema_lookups_total", Map.of("result", "failure"))).hasValue(0.0);
    }

    @Test
    void aSchemaLookupWhoseReflectionFailsIsCountedAsAFailure() throws Exception {
        final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        // Reflection answers INTERNAL: the schema can be neither found nor ruled out.
        final Server broken = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new DemoService(timer).definition())
                .addService(ServerInterceptors.intercept(ProtoReflectionServiceV1.newInstance(), new FailAll()))
                .build()
                .start();
        try (PorticoFixture portico = PorticoFixture.startInFrontOf(
                broken.getPort(), "portico.upstream.health-check.enabled = false");
             TestHttpClient client = portico.connect(Transport.HTTP1)) {
            final TestHttpClient.Response response = client.call(HttpMethod.POST, ECHO,
                    ConnectWire.unaryHeaders("json"), ConnectWire.utf8("{\"message\":\"json\"}"));
            assertThat(ConnectWire.json(response.body()).get("code").getAsString()).isEqualTo("unimplemented");

            final PrometheusScrape metrics = PrometheusScrape.fetch(portico.adminPort());
            assertThat(metrics.value("portico_schema_lookups_total", Map.of("result", "failure")))
                    .as("in:%n%s", metrics.text()).hasValue(1.0);
            assertThat(metrics.value("portico_schema_lookups_total", Map.of("result", "hit"))).hasValue(0.0);
        } finally {
            broken.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            timer.shutdownNow();
        }
    }

    // ---- process ----

    @Test
    void jvmProcessAndBuildInfoSeriesArePublished() throws Exception {
        System.gc(); // A GC pause is recorded at the first collection after start.
        final PrometheusScrape metrics = PrometheusScrape.await(
                fixture.adminPort(), m -> !m.samples("jvm_gc_pause_seconds_count").isEmpty(),
                Duration.ofSeconds(10));

        assertThat(metrics.names()).as("in:%n%s", metrics.text()).contains(
                "jvm_gc_pause_seconds_count", "jvm_gc_pause_seconds_sum", "jvm_gc_memory_allocated_bytes_total",
                "jvm_threads_live_threads", "jvm_threads_peak_threads", "jvm_threads_states_threads",
                "process_cpu_usage", "system_cpu_usage", "system_cpu_count",
                "process_uptime_seconds", "process_start_time_seconds",
                "process_files_open_files", "process_files_max_files", "jvm_memory_used_bytes");
        final List<PrometheusScrape.Sample> buildInfo = metrics.samples("portico_build_info");
        assertThat(buildInfo).hasSize(1);
        assertThat(buildInfo.get(0).value()).isEqualTo(1.0);
        // Maven filled the version in (no ${project.version} left).
        assertThat(buildInfo.get(0).labels().get("version")).matches("[0-9]+\\.[0-9]+\\.[0-9]+(-SNAPSHOT)?");
    }

    // ---- helpers ----

    private static byte[] echo(String message) {
        return GrpcWeb.frame(echoRequest(message));
    }

    private static EchoRequest echoRequest(String message) {
        return EchoRequest.newBuilder().setMessage(message).build();
    }

    private static TestHttpClient.Response assertOk(TestHttpClient.Response response) {
        assertThat(GrpcWeb.parse(response.body()).trailer("grpc-status")).as("status").isEqualTo("0");
        return response;
    }

    private static Map<String, String> cleartext(String httpVersion) {
        return Map.of("http_version", httpVersion, "tls", "false");
    }

    private static void assertCumulative(SortedMap<Double, Double> buckets) {
        double previous = 0;
        for (double count : buckets.values()) {
            assertThat(count).as("buckets %s are cumulative", buckets).isGreaterThanOrEqualTo(previous);
            previous = count;
        }
    }

    private static void callRandomMethods(TestHttpClient client, int count) throws Exception {
        for (int i = 0; i < count; i++) {
            final String id = UUID.randomUUID().toString().replace("-", "");
            final String method = "/portico.demo.v1.DemoService/Random" + id;
            final TestHttpClient.Response response = client.call(
                    HttpMethod.POST, method, GrpcWeb.headers(GrpcWeb.PROTO), echo("x"));
            // UNIMPLEMENTED, from the backend.
            assertThat(response.headers().get("grpc-status")).isEqualTo("12");
        }
    }

    private void clientStream(List<EchoRequest> messages) throws Exception {
        final ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", fixture.port())
                .usePlaintext().build();
        try {
            final CompletableFuture<EchoResponse> done = new CompletableFuture<>();
            final StreamObserver<EchoRequest> requests = DemoServiceGrpc.newStub(channel)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .clientStream(new SingleResponse(done));
            messages.forEach(requests::onNext);
            requests.onCompleted();
            assertThat(done.get(10, TimeUnit.SECONDS)).isNotNull();
        } finally {
            channel.shutdownNow();
            channel.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static DefaultHttpHeaders preflight(String origin) {
        final DefaultHttpHeaders headers = new DefaultHttpHeaders();
        headers.set("origin", origin).set("access-control-request-method", "POST")
               .set("access-control-request-headers", "content-type,x-grpc-web");
        return headers;
    }

    /** Closes every call with INTERNAL before its service sees it. */
    private static final class FailAll implements ServerInterceptor {
        @Override
        public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                                                           ServerCallHandler<Q, A> next) {
            call.close(Status.INTERNAL.withDescription("reflection is broken here"), new Metadata());
            return new ServerCall.Listener<>() { };
        }
    }
}
