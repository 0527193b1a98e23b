package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Logger;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.portico.demo.v1.DemoServiceGrpc;
import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.FailRequest;
import dev.portico.demo.v1.StreamRequest;
import dev.portico.proxy.observe.AccessLog;
import dev.portico.proxy.testing.AccessLogLines;
import dev.portico.proxy.testing.ConnectWire;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.GrpcWebResponse;
import dev.portico.proxy.testing.GrpcWebSocketClient;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.TestHttpClient;
import dev.portico.proxy.testing.Transport;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;

/**
 * portico.access-log: exactly one line per call when it ends, in either format, whatever the protocol and
 * however the call ended (answered upstream, failed, shed, refused by Portico, a preflight).
 */
class AccessLogTest {
    private static final String ECHO = "/portico.demo.v1.DemoService/Echo";
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String TRACEPARENT = "00-" + TRACE_ID + "-00f067aa0ba902b7-01";
    private static final Duration WAIT = Duration.ofSeconds(10);
    /** The access log is off by default. */
    private static final String ON = "portico.access-log.enabled = true\n";
    /** time client peer "METHOD path VERSION" protocol http grpc req resp ms upstream attempts "ua" trace */
    private static final Pattern TEXT = Pattern.compile(
            "(\\S+) (\\S+) (\\S+) \"(\\S+) (\\S+) (\\S+)\" (\\S+) (\\S+) (\\S+) (\\d+) (\\d+) ([0-9.]+) (\\S+) (\\d+)"
            + " \"(.*)\" (\\S+)");

    private PorticoFixture portico;
    private final AccessLogLines log = AccessLogLines.capture();

    @AfterEach
    void stop() throws Exception {
        log.close();
        if (portico != null) {
            portico.close();
        }
    }

    @Test
    void aUnaryGrpcWebCallIsOneTextLineWithEveryField() throws Exception {
        portico = PorticoFixture.start(ON);
        final byte[] request = GrpcWeb.frame(EchoRequest.newBuilder().setMessage("logged").build());
        final TestHttpClient.Response response;
        try (TestHttpClient client = portico.connect(Transport.HTTP1)) {
            response = client.call(HttpMethod.POST, ECHO, GrpcWeb.headers(GrpcWeb.PROTO)
                    .set("user-agent", "test-agent/1.0 \"quoted\"").set("traceparent", TRACEPARENT), request);
        }
        assertThat(GrpcWebResponse.of(response, GrpcWeb.PROTO).code()).isZero();

        final List<String> lines = log.await(1, WAIT);
        assertThat(lines).hasSize(1);
        final Matcher line = TEXT.matcher(lines.get(0));
        assertThat(line.matches()).as(lines.get(0)).isTrue();
        assertThat(line.group(1)).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        assertThat(line.group(2)).isEqualTo("127.0.0.1");
        assertThat(line.group(3)).startsWith("127.0.0.1:");
        assertThat(line.group(4)).isEqualTo("POST");
        assertThat(line.group(5)).isEqualTo(ECHO);
        assertThat(line.group(6)).isEqualTo("HTTP/1.1");
        assertThat(line.group(7)).isEqualTo("grpc-web");
        assertThat(line.group(8)).isEqualTo("200");
        assertThat(line.group(9)).isEqualTo("OK");
        assertThat(Long.parseLong(line.group(10))).isEqualTo(request.length);
        assertThat(Long.parseLong(line.group(11))).isEqualTo(response.body().length);
        assertThat(Double.parseDouble(line.group(12))).isPositive().isLessThan(WAIT.toMillis());
        assertThat(line.group(13)).isEqualTo("127.0.0.1:" + portico.backend().port());
        assertThat(line.group(14)).isEqualTo("1");
        // Quotes in a header cannot end the field early.
        assertThat(line.group(15)).isEqualTo("test-agent/1.0 \\x22quoted\\x22");
        assertThat(line.group(16)).isEqualTo(TRACE_ID);
    }

    @Test
    void everyProtocolAndOutcomeIsOneJsonLine() throws Exception {
        portico = PorticoFixture.start(ON + "portico.access-log.format = json");
        try (TestHttpClient h2c = portico.connect(Transport.H2C)) {
            final byte[] web = GrpcWeb.frame(EchoRequest.newBuilder().setMessage("web").build());
            final TestHttpClient.Response unary = h2c.call(HttpMethod.POST, ECHO, GrpcWeb.headers(GrpcWeb.PROTO), web);
            JsonObject entry = onlyJsonLine();
            assertCall(entry, "grpc-web", ECHO, 200, "OK", web.length, unary.body().length);
            assertThat(entry.get("http_version").getAsString()).isEqualTo("HTTP/2.0");
            assertThat(entry.get("upstream").getAsString()).isEqualTo("127.0.0.1:" + portico.backend().port());
            assertThat(entry.get("attempts").getAsInt()).isEqualTo(1);
            assertThat(entry.get("user_agent").isJsonNull()).isTrue();
            assertThat(entry.get("trace_id").isJsonNull()).isTrue();

            final byte[] streamRequest = GrpcWeb.frame(StreamRequest.newBuilder().setCount(3).setSize(10).build());
            final TestHttpClient.Response stream = h2c.call(
                    HttpMethod.POST, "/portico.demo.v1.DemoService/ServerStream",
                    GrpcWeb.headers(GrpcWeb.TEXT), GrpcWeb.base64(streamRequest));
            assertThat(GrpcWebResponse.of(stream, GrpcWeb.TEXT).messages()).hasSize(3);
            assertCall(onlyJsonLine(), "grpc-web-text", "/portico.demo.v1.DemoService/ServerStream", 200, "OK",
                       GrpcWeb.base64(streamRequest).length, stream.body().length);

            final byte[] fail = GrpcWeb.frame(FailRequest.newBuilder().setCode(5).setMessage("gone").build());
            final TestHttpClient.Response failed = h2c.call(
                    HttpMethod.POST, "/portico.demo.v1.DemoService/Fail", GrpcWeb.headers(GrpcWeb.PROTO), fail);
            assertCall(onlyJsonLine(), "grpc-web", "/portico.demo.v1.DemoService/Fail", 200, "NOT_FOUND",
                       fail.length, failed.body().length);

            final byte[] connect = EchoRequest.newBuilder().setMessage("connect").build().toByteArray();
            final TestHttpClient.Response connectUnary = h2c.call(HttpMethod.POST, ECHO,
                                                                  ConnectWire.unaryHeaders("proto"), connect);
            assertCall(onlyJsonLine(), "connect", ECHO, 200, "OK", connect.length, connectUnary.body().length);

            final byte[] connectFail = FailRequest.newBuilder().setCode(7).build().toByteArray();
            final TestHttpClient.Response denied = h2c.call(HttpMethod.POST, "/portico.demo.v1.DemoService/Fail",
                                                            ConnectWire.unaryHeaders("proto"), connectFail);
            assertThat(denied.status()).isEqualTo(403);
            assertCall(onlyJsonLine(), "connect", "/portico.demo.v1.DemoService/Fail", 403,
                       "PERMISSION_DENIED", connectFail.length, denied.body().length);

            final byte[] connectStream = ConnectWire.envelope(0, StreamRequest.newBuilder().setCount(2).build()
                                                                              .toByteArray());
            final TestHttpClient.Response streamed = h2c.call(
                    HttpMethod.POST, "/portico.demo.v1.DemoService/ServerStream", ConnectWire.streamHeaders("proto"),
                    connectStream);
            assertCall(onlyJsonLine(), "connect", "/portico.demo.v1.DemoService/ServerStream", 200, "OK",
                       connectStream.length, streamed.body().length);
        }
    }

    @Test
    void aNativeGrpcCallIsLoggedAsGrpcOverHttp2() throws Exception {
        portico = PorticoFixture.start(ON + "portico.access-log.format = json");
        final ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", portico.port()).usePlaintext()
                .userAgent("native-test").build();
        try {
            DemoServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .echo(EchoRequest.newBuilder().setMessage("native").build());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        final JsonObject entry = onlyJsonLine();
        assertThat(entry.get("protocol").getAsString()).isEqualTo("grpc");
        assertThat(entry.get("http_version").getAsString()).isEqualTo("HTTP/2.0");
        assertThat(entry.get("grpc_status").getAsString()).isEqualTo("OK");
        assertThat(entry.get("user_agent").getAsString()).startsWith("native-test");
        assertThat(entry.get("request_bytes").getAsLong()).isEqualTo(5 + EchoRequest.newBuilder()
                .setMessage("native").build().getSerializedSize());
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void callsPorticoAnswersItselfAreLoggedToo(Transport transport) throws Exception {
        portico = PorticoFixture.start(ON + "portico.access-log.format = json\n"
                                       + "portico.cors.allowed-origins = [\"https://app.example\"]");
        try (TestHttpClient client = portico.connect(transport)) {
            final TestHttpClient.Response unsupported = client.call(
                    HttpMethod.POST, ECHO, new DefaultHttpHeaders().set("content-type", "text/nonsense"), new byte[3]);
            assertThat(unsupported.status()).isEqualTo(415);
            JsonObject entry = onlyJsonLine();
            assertThat(entry.get("http_status").getAsInt()).isEqualTo(415);
            assertThat(entry.get("protocol").isJsonNull()).isTrue();
            assertThat(entry.get("grpc_status").isJsonNull()).isTrue();
            assertThat(entry.get("path").getAsString()).isEqualTo(ECHO);
            assertThat(entry.get("http_version").getAsString())
                    .isEqualTo(transport == Transport.H2C ? "HTTP/2.0" : "HTTP/1.1");
            // Answered at its head: the body that follows is dropped, and still counted as received.
            assertThat(entry.get("request_bytes").getAsLong()).isEqualTo(3);

            final TestHttpClient.Response preflight = client.call(HttpMethod.OPTIONS, ECHO, new DefaultHttpHeaders()
                    .set("origin", "https://app.example").set("access-control-request-method", "POST"), new byte[0]);
            assertThat(preflight.status()).isEqualTo(204);
            entry = onlyJsonLine();
            assertThat(entry.get("http_method").getAsString()).isEqualTo("OPTIONS");
            assertThat(entry.get("http_status").getAsInt()).isEqualTo(204);
            assertThat(entry.get("attempts").getAsInt()).isZero();

            // A call whose head Portico refuses (a malformed grpc-timeout): answered in its protocol at once.
            final TestHttpClient.Response badTimeout = client.call(
                    HttpMethod.POST, ECHO, GrpcWeb.headers(GrpcWeb.PROTO).set("grpc-timeout", "10s"),
                    GrpcWeb.frame(EchoRequest.getDefaultInstance()));
            final GrpcWebResponse refusedAnswer = GrpcWebResponse.of(badTimeout, GrpcWeb.PROTO);
            assertThat(refusedAnswer.code()).isNotZero();
            final JsonObject refused = onlyJsonLine();
            assertThat(refused.get("protocol").getAsString()).isEqualTo("grpc-web");
            assertThat(refused.get("grpc_status").getAsString())
                    .isEqualTo(dev.portico.proxy.wire.RpcCode.fromValue(refusedAnswer.code()).name());
            assertThat(refused.get("attempts").getAsInt()).isZero();
            assertThat(refused.get("upstream").isJsonNull()).isTrue();
        }
    }

    @Test
    void aShedCallIsLoggedWithoutAnUpstreamAndTheCallHeldUpIsLoggedWhenItEnds() throws Exception {
        portico = PorticoFixture.start(ON + "portico.access-log.format = json\nportico.limits.max-calls-in-flight = 1");
        try (TestHttpClient slow = portico.connect(Transport.H2C);
             TestHttpClient other = portico.connect(Transport.H2C)) {
            final TestHttpClient.Exchange held = slow.open(HttpMethod.POST, ECHO, GrpcWeb.headers(GrpcWeb.PROTO));
            held.writeAndEnd(GrpcWeb.frame(EchoRequest.newBuilder().setMessage("slow").setSleepMs(1500).build()));
            portico.awaitActiveCalls(1);
            final TestHttpClient.Response shed = other.call(HttpMethod.POST, ECHO, GrpcWeb.headers(GrpcWeb.PROTO),
                                                            GrpcWeb.frame(EchoRequest.getDefaultInstance()));
            assertThat(GrpcWebResponse.of(shed, GrpcWeb.PROTO).code()).isEqualTo(14);
            final JsonObject entry = onlyJsonLine();
            assertThat(entry.get("grpc_status").getAsString()).isEqualTo("UNAVAILABLE");
            assertThat(entry.get("protocol").getAsString()).isEqualTo("grpc-web");
            assertThat(entry.get("attempts").getAsInt()).isZero();
            assertThat(entry.get("upstream").isJsonNull()).isTrue();

            assertThat(GrpcWebResponse.of(held.awaitResponse(WAIT), GrpcWeb.PROTO).code()).isZero();
            final JsonObject slowEntry = onlyJsonLine();
            assertThat(slowEntry.get("grpc_status").getAsString()).isEqualTo("OK");
            assertThat(slowEntry.get("duration_ms").getAsDouble()).isGreaterThanOrEqualTo(1500);
        }
    }

    @Test
    void aCallTheClientCancelsIsLoggedOnceAsCancelled() throws Exception {
        portico = PorticoFixture.start(ON + "portico.access-log.format = json");
        try (TestHttpClient client = portico.connect(Transport.H2C)) {
            final TestHttpClient.Exchange call = client.open(HttpMethod.POST, ECHO, GrpcWeb.headers(GrpcWeb.PROTO));
            call.writeAndEnd(GrpcWeb.frame(EchoRequest.newBuilder().setMessage("x").setSleepMs(5000).build()));
            portico.awaitActiveCalls(1);
            call.cancel();
            final JsonObject entry = onlyJsonLine();
            assertThat(entry.get("grpc_status").getAsString()).isEqualTo("CANCELLED");
            assertThat(entry.get("http_status").isJsonNull()).as("no response was sent").isTrue();
            assertThat(entry.get("attempts").getAsInt()).isEqualTo(1);
        }
    }

    @Test
    void xForwardedForNamesTheClientOnlyWhenATrustedProxySentIt() throws Exception {
        // The test's peer is 127.0.0.1, trusted here, as a load balancer in front of Portico would be.
        portico = PorticoFixture.start(ON + "portico.access-log { format = json,"
                                       + " trusted-proxies = [\"127.0.0.0/8\", \"10.0.0.0/8\"] }");
        assertThat(clientLoggedFor("203.0.113.9")).isEqualTo("203.0.113.9");
        // Proxies append: the right-most untrusted hop is the client; what it was sent may be forged.
        assertThat(clientLoggedFor("198.51.100.1, 203.0.113.9, 10.1.2.3")).isEqualTo("203.0.113.9");
        assertThat(clientLoggedFor("2001:db8::7")).isEqualTo("2001:db8:0:0:0:0:0:7");
        // Not an address: the walk stops at the last trusted hop.
        assertThat(clientLoggedFor("not-an-ip, 10.1.2.3")).isEqualTo("10.1.2.3");
        portico.close();

        portico = PorticoFixture.start(ON + "portico.access-log { format = json, trusted-proxies = [\"10.0.0.0/8\"] }");
        assertThat(clientLoggedFor("203.0.113.9")).as("the peer is no trusted proxy").isEqualTo("127.0.0.1");
        portico.close();

        portico = PorticoFixture.start(ON + "portico.access-log.format = json");
        assertThat(clientLoggedFor("203.0.113.9")).as("no proxy is trusted by default").isEqualTo("127.0.0.1");
    }

    private String clientLoggedFor(String forwardedFor) throws Exception {
        try (TestHttpClient client = portico.connect(Transport.HTTP1)) {
            client.call(HttpMethod.POST, ECHO, GrpcWeb.headers(GrpcWeb.PROTO).set("x-forwarded-for", forwardedFor),
                        GrpcWeb.frame(EchoRequest.getDefaultInstance()));
        }
        final JsonObject entry = onlyJsonLine();
        assertThat(entry.get("peer").getAsString()).startsWith("127.0.0.1:");
        return entry.get("client").getAsString();
    }

    @Test
    void sampleRateKeepsAShareOfSuccessfulCallsAndEveryFailure() throws Exception {
        portico = PorticoFixture.start(ON + "portico.access-log { format = json, sample-rate = 0.5 }");
        final int calls = 200;
        try (TestHttpClient client = portico.connect(Transport.H2C)) {
            for (int i = 0; i < calls; i++) {
                client.call(HttpMethod.POST, ECHO, GrpcWeb.headers(GrpcWeb.PROTO),
                            GrpcWeb.frame(EchoRequest.newBuilder().setMessage("s" + i).build()));
            }
            for (int i = 0; i < 20; i++) {
                client.call(HttpMethod.POST, "/portico.demo.v1.DemoService/Fail", GrpcWeb.headers(GrpcWeb.PROTO),
                            GrpcWeb.frame(FailRequest.newBuilder().setCode(13).build()));
            }
        }
        final List<String> lines = log.await(calls / 2 + 20, WAIT);
        final long ok = lines.stream().filter(l -> l.contains("\"grpc_status\":\"OK\"")).count();
        final long failed = lines.stream().filter(l -> l.contains("\"grpc_status\":\"INTERNAL\"")).count();
        assertThat(failed).isEqualTo(20);
        // Binomial(200, 0.5): 100 ± 7; outside 60..140 has a probability far below 1e-8.
        assertThat(ok).isBetween(60L, 140L);
    }

    @Test
    void byDefaultItWritesNothing() throws Exception {
        portico = PorticoFixture.start("");
        try (TestHttpClient client = portico.connect(Transport.H2C)) {
            client.call(HttpMethod.POST, ECHO, GrpcWeb.headers(GrpcWeb.PROTO),
                        GrpcWeb.frame(EchoRequest.getDefaultInstance()));
        }
        assertThat(log.await(1, Duration.ofMillis(500))).isEmpty();
    }

    @Test
    void theLinesGoThroughABoundedAppenderThatNeverBlocks() {
        final Logger logger = (Logger) LoggerFactory.getLogger(AccessLog.LOGGER);
        assertThat(logger.isAdditive()).as("access lines stay out of Portico's own log").isFalse();
        final AsyncAppender async = (AsyncAppender) logger.getAppender("ACCESS");
        assertThat(async).isNotNull();
        assertThat(async.isNeverBlock()).isTrue();
        assertThat(async.getQueueSize()).isEqualTo(8192);
        assertThat(async.getDiscardingThreshold()).isZero();
    }

    @Test
    void aWebSocketCallIsOneLineUnderItsOwnProtocol() throws Exception {
        portico = PorticoFixture.start(ON + "portico.access-log.format = json");
        try (GrpcWebSocketClient ws = GrpcWebSocketClient.open(portico.port(), ECHO)) {
            ws.sendHeaders().sendMessage(EchoRequest.newBuilder().setMessage("over a socket").build()).finishSend();
            assertThat(ws.awaitResponse(WAIT).trailer("grpc-status")).isEqualTo("0");
        }
        final JsonObject entry = onlyJsonLine();
        assertThat(entry.get("protocol").getAsString()).isEqualTo("grpc-websocket");
        assertThat(entry.get("method").getAsString()).isEqualTo(ECHO.substring(1));
        assertThat(entry.get("grpc_status").getAsString()).isEqualTo("OK");
        assertThat(entry.get("upstream").getAsString()).isEqualTo("127.0.0.1:" + portico.backend().port());
        assertThat(entry.get("attempts").getAsInt()).isEqualTo(1);
    }

    private JsonObject onlyJsonLine() throws InterruptedException {
        final List<String> lines = log.await(1, WAIT);
        assertThat(lines).as("one access-log line").hasSize(1);
        log.clear();
        return JsonParser.parseString(lines.get(0)).getAsJsonObject();
    }

    private static void assertCall(JsonObject entry, String protocol, String path, int httpStatus, String grpcStatus,
                                   long requestBytes, long responseBytes) {
        assertThat(entry.get("protocol").getAsString()).isEqualTo(protocol);
        assertThat(entry.get("path").getAsString()).isEqualTo(path);
        assertThat(entry.get("method").getAsString()).isEqualTo(path.substring(1));
        assertThat(entry.get("http_method").getAsString()).isEqualTo("POST");
        assertThat(entry.get("http_status").getAsInt()).isEqualTo(httpStatus);
        assertThat(entry.get("grpc_status").getAsString()).isEqualTo(grpcStatus);
        assertThat(entry.get("request_bytes").getAsLong()).isEqualTo(requestBytes);
        assertThat(entry.get("response_bytes").getAsLong()).isEqualTo(responseBytes);
        assertThat(entry.get("client").getAsString()).isEqualTo("127.0.0.1");
        assertThat(entry.get("duration_ms").getAsDouble()).isPositive();
    }
}
