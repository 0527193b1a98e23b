package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.demo.v1.Demo;
import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.EchoResponse;
import dev.portico.proxy.demo.DemoService;
import dev.portico.proxy.testing.ConnectWire;
import dev.portico.proxy.testing.DescriptorSets;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.TestHttpClient;
import dev.portico.proxy.testing.Transport;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where Portico gets schemas when the upstream serves no reflection: a descriptor-set file, or nowhere —
 * then JSON calls get a clear error and binary calls work all the same.
 */
class SchemaSourcesTest {
    private static final String ECHO = "/portico.demo.v1.DemoService/Echo";

    private static ScheduledExecutorService timer;
    private static Server withoutReflection;

    @TempDir
    Path dir;

    @BeforeAll
    static void startBackend() throws Exception {
        timer = Executors.newSingleThreadScheduledExecutor();
        withoutReflection = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new DemoService(timer).definition())
                .build()
                .start();
    }

    @AfterAll
    static void stopBackend() throws Exception {
        withoutReflection.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        timer.shutdownNow();
    }

    @Test
    void withNoSchemaJsonGetsAnErrorSayingHowToProvideOneAndBinaryStillWorks() throws Exception {
        try (PorticoFixture portico = PorticoFixture.startInFrontOf(withoutReflection.getPort(), "");
             TestHttpClient client = portico.connect(Transport.HTTP1)) {
            final TestHttpClient.Response json = client.call(HttpMethod.POST, ECHO, ConnectWire.unaryHeaders("json"),
                                                             ConnectWire.utf8("{\"message\":\"hi\"}"));
            assertThat(json.status()).isEqualTo(501);
            assertThat(ConnectWire.json(json.body()).get("message").getAsString())
                    .contains("reflection").contains("portico.schema.descriptor-sets");

            final TestHttpClient.Response binary = client.call(HttpMethod.POST, ECHO,
                    ConnectWire.unaryHeaders("proto"), EchoRequest.newBuilder().setMessage("hi").build().toByteArray());
            assertThat(EchoResponse.parseFrom(binary.body()).getMessage()).isEqualTo("hi");

            final TestHttpClient.Response get = client.call(HttpMethod.GET, ECHO + "?encoding=proto&base64=1&message="
                    + base64Url(EchoRequest.newBuilder().setMessage("x").build().toByteArray()),
                    new DefaultHttpHeaders(), new byte[0]);
            assertThat(get.status()).isEqualTo(501);
            assertThat(ConnectWire.json(get.body()).get("message").getAsString())
                    .contains("allow-get-without-schema");
        }
    }

    @Test
    void aDescriptorSetFileGivesTheSchemaWhenTheUpstreamHasNoReflection() throws Exception {
        final Path set = dir.resolve("demo.binpb");
        Files.write(set, DescriptorSets.withImports(Demo.getDescriptor()).toByteArray());
        try (PorticoFixture portico = PorticoFixture.startInFrontOf(withoutReflection.getPort(),
                "portico.schema { reflection = false, descriptor-sets = [\"" + set + "\"] }");
             TestHttpClient client = portico.connect(Transport.H2C)) {
            final TestHttpClient.Response json = client.call(HttpMethod.POST, ECHO, ConnectWire.unaryHeaders("json"),
                                                             ConnectWire.utf8("{\"message\":\"from file\"}"));
            assertThat(json.status()).isEqualTo(200);
            assertThat(ConnectWire.json(json.body()).get("message").getAsString()).isEqualTo("from file");

            final TestHttpClient.Response get = client.call(HttpMethod.GET,
                    ECHO + "?encoding=json&message=%7B%22message%22%3A%22got%22%7D", new DefaultHttpHeaders(),
                    new byte[0]);
            assertThat(ConnectWire.json(get.body()).get("message").getAsString()).isEqualTo("got");

            final TestHttpClient.Response webJson = client.call(HttpMethod.POST, ECHO,
                    new DefaultHttpHeaders().set("content-type", "application/grpc-web+json"),
                    GrpcWeb.frame(0, ConnectWire.utf8("{\"message\":\"web\"}")));
            assertThat(ConnectWire.json(GrpcWeb.parse(webJson.body()).messages().get(0)).get("message").getAsString())
                    .isEqualTo("web");
        }
    }

    @Test
    void getWithoutASchemaCanBeAllowedForBinaryCalls() throws Exception {
        try (PorticoFixture portico = PorticoFixture.startInFrontOf(withoutReflection.getPort(),
                "portico.connect.allow-get-without-schema = true");
             TestHttpClient client = portico.connect(Transport.HTTP1)) {
            final TestHttpClient.Response get = client.call(HttpMethod.GET, ECHO + "?encoding=proto&base64=1&message="
                    + base64Url(EchoRequest.newBuilder().setMessage("allowed").build().toByteArray()),
                    new DefaultHttpHeaders(), new byte[0]);
            assertThat(get.status()).isEqualTo(200);
            assertThat(EchoResponse.parseFrom(get.body()).getMessage()).isEqualTo("allowed");
        }
    }

    private static String base64Url(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
