package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.EchoResponse;
import dev.portico.demo.v1.FailRequest;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.PrometheusScrape;
import dev.portico.proxy.testing.TestHttpClient;
import dev.portico.proxy.testing.Transport;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * CORS as browsers see it (PROTOCOLS.md B5): Portico answers preflights itself, grants allowed origins
 * only, exposes the gRPC status headers and the call's own headers, and keeps the connection usable.
 */
class CorsTest {
    private static final String ECHO = "/portico.demo.v1.DemoService/Echo";
    private static final String FAIL = "/portico.demo.v1.DemoService/Fail";
    private static final String APP = "https://app.example.com";
    private static final String REQUESTS = "portico_requests_total";

    /** The default configuration: any origin, any requested header. */
    private static PorticoFixture anyOrigin;
    /** One exact origin and one subdomain pattern. */
    private static PorticoFixture listedOrigins;
    /** An exact origin with credentials. */
    private static PorticoFixture credentials;
    /** Private Network Access preflights answered. */
    private static PorticoFixture privateNetwork;

    @BeforeAll
    static void start() throws Exception {
        anyOrigin = PorticoFixture.start("");
        listedOrigins = PorticoFixture.start(
                "portico.cors.allowed-origins = [\"" + APP + "\", \"https://*.example.org\"]");
        credentials = PorticoFixture.start(
                "portico.cors { allowed-origins = [\"" + APP + "\"], allow-credentials = true }");
        privateNetwork = PorticoFixture.start("portico.cors.allow-private-network = true");
    }

    @AfterAll
    static void stop() throws Exception {
        for (PorticoFixture fixture : Arrays.asList(anyOrigin, listedOrigins, credentials, privateNetwork)) {
            if (fixture != null) {
                fixture.close();
            }
        }
    }

    // ---- Preflights ----

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void aPreflightFromAnAllowedOriginIsGrantedWithoutCallingTheBackend(Transport transport) throws Exception {
        final double callsBefore = PrometheusScrape.fetch(anyOrigin.adminPort()).sum(REQUESTS);
        final List<String> asked = List.of("content-type", "x-grpc-web", "x-user-agent", "grpc-timeout",
                                           "authorization", "x-custom-thing");
        try (TestHttpClient client = anyOrigin.connect(transport)) {
            final TestHttpClient.Response response = client.call(
                    HttpMethod.OPTIONS, ECHO, preflight(APP, String.join(",", asked)), new byte[0]);

            assertThat(response.status()).isEqualTo(204);
            assertThat(response.headers().get("access-control-allow-origin")).isIn("*", APP);
            assertThat(tokens(response.headers().get("access-control-allow-methods"))).contains("post");
            // The default allowed-headers = ["*"] grants whatever the preflight asked for.
            assertThat(tokens(response.headers().get("access-control-allow-headers"))).containsAll(asked);
            assertThat(response.headers().get("access-control-max-age")).isEqualTo("7200");
            assertThat(tokens(String.join(",", response.headers().getAll("vary"))))
                    .contains("origin", "access-control-request-method", "access-control-request-headers");
            assertThat(response.body()).isEmpty();
            assertThat(PrometheusScrape.fetch(anyOrigin.adminPort()).sum(REQUESTS))
                    .as("calls counted after a preflight").isEqualTo(callsBefore);

            // The same metric does move for a real call: the check above is not vacuous.
            final TestHttpClient.Response real = client.call(
                    HttpMethod.POST, ECHO, call(APP), echoBody("real"));
            assertThat(GrpcWeb.parse(real.body()).trailer("grpc-status")).isEqualTo("0");
        }
        assertThat(PrometheusScrape.fetch(anyOrigin.adminPort()).sum(REQUESTS)).isEqualTo(callsBefore + 1);
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void aPreflightFromADisallowedOriginIsRefusedWithoutAGrant(Transport transport) throws Exception {
        try (TestHttpClient client = listedOrigins.connect(transport)) {
            final TestHttpClient.Response response = client.call(
                    HttpMethod.OPTIONS, ECHO, preflight("https://evil.example.com", "content-type,x-grpc-web"),
                    new byte[0]);

            assertThat(response.status()).isEqualTo(403);
            assertThat(response.headers().contains("access-control-allow-origin")).isFalse();
            assertThat(response.headers().contains("access-control-allow-headers")).isFalse();
            assertThat(response.headers().contains("access-control-allow-credentials")).isFalse();
        }
    }

    @ParameterizedTest(name = "{0} allowed: {1}")
    @CsvSource({
        "https://app.example.com, true",
        "https://a.example.org, true",
        "https://a.b.example.org, true",
        "https://example.org, false",
        "http://a.example.org, false",
        "https://a.example.org:8443, false",
        "https://a.example.org.evil.com, false",
        "https://evilexample.org, false",
        "https://app.example.com.evil.com, false",
        "http://app.example.com, false",
    })
    void onlyListedOriginsAndSubdomainsOfAPatternAreGranted(String origin, boolean allowed) throws Exception {
        try (TestHttpClient client = listedOrigins.connect(Transport.HTTP1)) {
            final TestHttpClient.Response response = client.call(
                    HttpMethod.OPTIONS, ECHO, preflight(origin, "content-type"), new byte[0]);

            if (allowed) {
                assertThat(response.status()).isEqualTo(204);
                assertThat(response.headers().get("access-control-allow-origin")).isEqualTo(origin);
            } else {
                assertThat(response.status()).isEqualTo(403);
                assertThat(response.headers().contains("access-control-allow-origin")).isFalse();
            }
        }
    }

    // ---- Actual calls ----

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void aCallFromAnAllowedOriginExposesTheStatusHeadersAndItsOwnHeaders(Transport transport) throws Exception {
        try (TestHttpClient client = listedOrigins.connect(transport)) {
            final TestHttpClient.Response response = client.call(
                    HttpMethod.POST, ECHO, call(APP).set("x-echo-foo", "bar"), echoBody("hello"));

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.headers().get("access-control-allow-origin")).isEqualTo(APP);
            assertThat(tokens(String.join(",", response.headers().getAll("vary")))).contains("origin");
            assertThat(tokens(response.headers().get("access-control-expose-headers")))
                    .contains("grpc-status", "grpc-message", "grpc-status-details-bin", "x-echo-foo");
            assertThat(response.headers().get("x-echo-foo")).isEqualTo("bar");
            final GrpcWeb.Body body = GrpcWeb.parse(response.body());
            assertThat(body.messages(EchoResponse.parser()).get(0).getMessage()).isEqualTo("hello");
            assertThat(body.trailer("grpc-status")).isEqualTo("0");
        }
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void aTrailersOnlyErrorFromAnAllowedOriginLetsScriptsReadItsStatus(Transport transport) throws Exception {
        // The status travels in the headers here, so without exposure a browser reports UNKNOWN (grpc-web#61).
        try (TestHttpClient client = anyOrigin.connect(transport)) {
            final TestHttpClient.Response response = client.call(
                    HttpMethod.POST, FAIL, call(APP),
                    GrpcWeb.frame(FailRequest.newBuilder().setCode(5).setMessage("gone").build()));

            assertThat(response.headers().get("grpc-status")).isEqualTo("5");
            assertThat(response.headers().get("access-control-allow-origin")).isIn("*", APP);
            assertThat(tokens(response.headers().get("access-control-expose-headers")))
                    .contains("grpc-status", "grpc-message", "grpc-status-details-bin");
        }
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void aCallFromADisallowedOriginGetsNoGrant(Transport transport) throws Exception {
        try (TestHttpClient client = listedOrigins.connect(transport)) {
            final TestHttpClient.Response response = client.call(
                    HttpMethod.POST, ECHO, call("https://evil.example.com"), echoBody("hello"));

            assertThat(response.headers().contains("access-control-allow-origin")).isFalse();
            assertThat(response.headers().contains("access-control-expose-headers")).isFalse();
            assertThat(response.headers().contains("access-control-allow-credentials")).isFalse();
            // The answer depends on Origin, so shared caches must key on it.
            assertThat(tokens(String.join(",", response.headers().getAll("vary")))).contains("origin");
        }
    }

    // ---- Credentials ----

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void withCredentialsThePreflightEchoesTheOriginAndAllowsCredentials(Transport transport) throws Exception {
        try (TestHttpClient client = credentials.connect(transport)) {
            final TestHttpClient.Response response = client.call(
                    HttpMethod.OPTIONS, ECHO, preflight(APP, "content-type,authorization"), new byte[0]);

            assertThat(response.status()).isEqualTo(204);
            assertThat(response.headers().get("access-control-allow-origin")).isEqualTo(APP);
            assertThat(response.headers().get("access-control-allow-credentials")).isEqualTo("true");
            // With credentials a literal "*" means the header named "*": the requested names must be listed.
            assertThat(tokens(response.headers().get("access-control-allow-headers")))
                    .contains("authorization", "content-type")
                    .doesNotContain("*");
        }
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void withCredentialsACallEchoesTheOriginAndAllowsCredentials(Transport transport) throws Exception {
        try (TestHttpClient client = credentials.connect(transport)) {
            final TestHttpClient.Response response = client.call(
                    HttpMethod.POST, ECHO, call(APP), echoBody("c"));

            assertThat(response.status()).isEqualTo(200);
            assertThat(response.headers().get("access-control-allow-origin")).isEqualTo(APP);
            assertThat(response.headers().get("access-control-allow-credentials")).isEqualTo("true");
            assertThat(GrpcWeb.parse(response.body()).trailer("grpc-status")).isEqualTo("0");
        }
    }

    // ---- Private Network Access ----

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void aPrivateNetworkPreflightIsGrantedWhenEnabled(Transport transport) throws Exception {
        try (TestHttpClient client = privateNetwork.connect(transport)) {
            final TestHttpClient.Response response = client.call(
                    HttpMethod.OPTIONS, ECHO,
                    preflight(APP, "content-type").set("access-control-request-private-network", "true"),
                    new byte[0]);

            assertThat(response.status()).isEqualTo(204);
            assertThat(response.headers().get("access-control-allow-private-network")).isEqualTo("true");
        }
    }

    @Test
    void aPrivateNetworkPreflightAnswerVariesOnTheRequestHeader() throws Exception {
        // connectrpc.com/docs/cors: add Vary: Access-Control-Request-Private-Network when answers are cached
        // (Portico always sends Access-Control-Max-Age), because the answer depends on that header.
        try (TestHttpClient client = privateNetwork.connect(Transport.HTTP1)) {
            final TestHttpClient.Response response = client.call(
                    HttpMethod.OPTIONS, ECHO,
                    preflight(APP, "content-type").set("access-control-request-private-network", "true"),
                    new byte[0]);

            assertThat(response.headers().get("access-control-max-age")).isNotNull();
            assertThat(tokens(String.join(",", response.headers().getAll("vary"))))
                    .contains("access-control-request-private-network");
        }
    }

    @Test
    void aPrivateNetworkPreflightIsNotGrantedByDefault() throws Exception {
        try (TestHttpClient client = anyOrigin.connect(Transport.HTTP1)) {
            final TestHttpClient.Response response = client.call(
                    HttpMethod.OPTIONS, ECHO,
                    preflight(APP, "content-type").set("access-control-request-private-network", "true"),
                    new byte[0]);

            assertThat(response.headers().contains("access-control-allow-private-network")).isFalse();
        }
    }

    // ---- Connection reuse ----

    @ParameterizedTest(name = "preflight with content-length: {0}")
    @ValueSource(booleans = {true, false})
    void aCallOnTheSameHttp1ConnectionWorksAfterAPreflight(boolean contentLengthZero) throws Exception {
        try (TestHttpClient client = anyOrigin.connect(Transport.HTTP1)) {
            for (int round = 0; round < 2; round++) {
                final HttpHeaders preflight = preflight(APP, "content-type,x-grpc-web");
                if (contentLengthZero) {
                    preflight.set("content-length", 0); // Else the test client sends an empty chunked body.
                }
                final TestHttpClient.Response granted = client.call(HttpMethod.OPTIONS, ECHO, preflight,
                                                                    new byte[0]);
                assertThat(granted.status()).isEqualTo(204);

                final TestHttpClient.Response response = client.call(HttpMethod.POST, ECHO, call(APP),
                                                                      echoBody("after preflight " + round));
                assertThat(response.status()).isEqualTo(200);
                final GrpcWeb.Body body = GrpcWeb.parse(response.body());
                assertThat(body.messages(EchoResponse.parser()).get(0).getMessage())
                        .isEqualTo("after preflight " + round);
                assertThat(body.trailer("grpc-status")).isEqualTo("0");
            }
            assertThat(client.isOpen()).isTrue();
        }
    }

    // ---- Helpers ----

    /** The preflight a browser sends before a gRPC-Web POST. */
    private static HttpHeaders preflight(String origin, String requestHeaders) {
        return new DefaultHttpHeaders()
                .set("origin", origin)
                .set("access-control-request-method", "POST")
                .set("access-control-request-headers", requestHeaders);
    }

    /** A browser's gRPC-Web call from {@code origin}. */
    private static HttpHeaders call(String origin) {
        return GrpcWeb.headers(GrpcWeb.PROTO).set("origin", origin);
    }

    private static byte[] echoBody(String message) {
        return GrpcWeb.frame(EchoRequest.newBuilder().setMessage(message).build());
    }

    /** A comma-separated header value as lower-case tokens; empty when the header is absent. */
    private static Set<String> tokens(String value) {
        if (value == null) {
            return Set.of();
        }
        return Arrays.stream(value.split(","))
                     .map(token -> token.trim().toLowerCase(Locale.ROOT))
                     .filter(token -> !token.isEmpty())
                     .collect(Collectors.toSet());
    }
}
