package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.EchoResponse;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.PorticoFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The JDK's HTTP client, asked for HTTP/2 on an {@code http://} URL, sends its first request as HTTP/1.1
 * with {@code Upgrade: h2c} (RFC 7540 section 3.2); Portico switches the connection to HTTP/2 and answers
 * on stream 1. A gRPC-Web call made that way must succeed, and so must the next one on the same client.
 */
class Http2UpgradeTest {
    private static final String ECHO = "/portico.demo.v1.DemoService/Echo";

    private PorticoFixture fixture;
    private ExecutorService executor;
    private HttpClient client;

    @BeforeEach
    void start() throws Exception {
        fixture = PorticoFixture.start("");
        // The client's own threads come from this executor, so the test can stop them (Java 17's HttpClient
        // has no close()).
        executor = Executors.newCachedThreadPool(runnable -> {
            final Thread thread = new Thread(runnable, "http2-upgrade-test-client");
            thread.setDaemon(true);
            return thread;
        });
        client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_2)
                .connectTimeout(Duration.ofSeconds(5))
                .executor(executor)
                .build();
    }

    @AfterEach
    void stop() throws Exception {
        client = null;
        if (executor != null) {
            executor.shutdownNow();
            executor.awaitTermination(5, TimeUnit.SECONDS);
        }
        if (fixture != null) {
            fixture.close();
        }
    }

    @Test
    void aGrpcWebCallThatUpgradesToH2cSucceedsOverHttp2() throws Exception {
        final HttpResponse<byte[]> response = echo("upgraded");

        assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue(GrpcWeb.PROTO);
        final GrpcWeb.Body body = GrpcWeb.parse(response.body());
        assertThat(body.messages(EchoResponse.parser())).singleElement()
                .extracting(EchoResponse::getMessage).isEqualTo("upgraded");
        assertThat(body.trailerFrames()).isEqualTo(1);
        assertThat(body.trailer("grpc-status")).isEqualTo("0");
    }

    @Test
    void theUpgradedConnectionServesFurtherCallsOverHttp2() throws Exception {
        assertThat(echo("first").version()).isEqualTo(HttpClient.Version.HTTP_2);

        for (int i = 0; i < 3; i++) {
            final HttpResponse<byte[]> response = echo("again " + i);
            assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
            final GrpcWeb.Body body = GrpcWeb.parse(response.body());
            assertThat(body.messages(EchoResponse.parser()).get(0).getMessage()).isEqualTo("again " + i);
            assertThat(body.trailer("grpc-status")).isEqualTo("0");
        }
    }

    private HttpResponse<byte[]> echo(String message) throws Exception {
        final URI uri = URI.create("http://127.0.0.1:" + fixture.port() + ECHO);
        final HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(10))
                .header("content-type", GrpcWeb.PROTO)
                .header("accept", GrpcWeb.PROTO)
                .header("x-grpc-web", "1")
                .header("x-user-agent", "portico-tests/1")
                .POST(HttpRequest.BodyPublishers.ofByteArray(
                        GrpcWeb.frame(EchoRequest.newBuilder().setMessage(message).build())))
                .build();
        return client.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }
}
