package dev.portico.proxy.deploy;

import static dev.portico.proxy.testing.DeployFiles.at;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.demo.v1.DemoServiceGrpc;
import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.EchoResponse;
import dev.portico.proxy.demo.DemoBackend;
import dev.portico.proxy.testing.DeployFiles;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.LaunchedProcess;
import dev.portico.proxy.testing.TestHttpClient;
import dev.portico.proxy.testing.Transport;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands the Compose stack and the Kubernetes example run, run here as they run there, outside a
 * container: the packaged jar through {@code bin/portico} (like PackagedJarIT), bound to 127.0.0.1.
 */
class DeployCommandsIT {
    private static final Pattern BACKEND_LISTENING = Pattern.compile("demo backend listening on [^ ]+:(\\d+) ");
    private static final Pattern DEMO_APP = Pattern.compile("demo app: http://\\S*:(\\d+)/ ");
    private static final Pattern PORTICO_LISTENING =
            Pattern.compile("Portico listening on https?://\\S*:(\\d+) ");

    @TempDir
    Path dir;

    @Test
    void theBackendReplicasCommandServesTheDemoServiceAndGrpcHealthAndStopsCleanly() throws Exception {
        final List<String> command = composeCommand("backend-1");
        assertThat(command).isEqualTo(composeCommand("backend-2"));
        // The Compose command, with this test's address: loopback, and a port the system picks.
        command.set(command.indexOf("--host") + 1, "127.0.0.1");
        command.set(command.indexOf("--port") + 1, "0");
        try (LaunchedProcess backend = LaunchedProcess.start(command, dir)) {
            final int port = Integer.parseInt(backend.await(BACKEND_LISTENING));
            final ManagedChannel channel =
                    ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
            try {
                assertThat(HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                                   .check(HealthCheckRequest.getDefaultInstance()).getStatus())
                        .isEqualTo(ServingStatus.SERVING);
                final EchoResponse echo = DemoServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(10, TimeUnit.SECONDS)
                        .echo(EchoRequest.newBuilder().setMessage("replica").build());
                assertThat(echo.getMessage()).isEqualTo("replica");
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            assertThat(backend.stop(Duration.ofSeconds(15))).as("SIGTERM is a clean stop").isZero();
            assertThat(backend.output()).doesNotContain("LEAK:");
        }
    }

    @Test
    void withDemoPagePorticoServesTheDemoAppInFrontOfTheConfiguredUpstream() throws Exception {
        final List<String> command = composeCommand("portico");
        try (DemoBackend backend = DemoBackend.start(0)) {
            final Path config = dir.resolve("portico.conf");
            Files.writeString(config, """
                    portico {
                      listen { host = "127.0.0.1", port = 0 }
                      demo.page-port = 0
                      admin.enabled = false
                      upstream.endpoints = ["127.0.0.1:%d"]
                    }
                    """.formatted(backend.port()));
            // The Compose command, with this test's configuration file.
            command.set(command.indexOf("--config") + 1, config.toString());
            try (LaunchedProcess portico = LaunchedProcess.start(command, dir)) {
                final int port = Integer.parseInt(portico.await(PORTICO_LISTENING));
                final int appPort = Integer.parseInt(portico.await(DEMO_APP));
                try (TestHttpClient client = TestHttpClient.connect(Transport.HTTP1, port);
                     TestHttpClient app = TestHttpClient.connect(Transport.HTTP1, appPort)) {
                    final TestHttpClient.Response redirect =
                            client.call(HttpMethod.GET, "/", new DefaultHttpHeaders(), new byte[0]);
                    assertThat(redirect.status()).isEqualTo(302);
                    assertThat(redirect.headers().get(HttpHeaderNames.LOCATION))
                            .isEqualTo("http://127.0.0.1:" + appPort + "/");
                    final TestHttpClient.Response page =
                            app.call(HttpMethod.GET, "/", new DefaultHttpHeaders(), new byte[0]);
                    assertThat(page.status()).isEqualTo(200);
                    assertThat(new String(page.body(), StandardCharsets.UTF_8)).contains("Portico demo");
                    // What the app calls goes to the configured upstream, not to an embedded backend.
                    final EchoRequest request = EchoRequest.newBuilder().setMessage("app").build();
                    final TestHttpClient.Response echo = client.call(
                            HttpMethod.POST, "/portico.demo.v1.DemoService/Echo",
                            GrpcWeb.headers(GrpcWeb.PROTO), GrpcWeb.frame(request));
                    assertThat(GrpcWeb.parse(echo.body()).trailer("grpc-status")).isEqualTo("0");
                }
                assertThat(portico.output()).doesNotContain("demo mode");
                assertThat(portico.stop(Duration.ofSeconds(15))).isZero();
                assertThat(portico.output()).doesNotContain("LEAK:");
            }
        }
    }

    @Test
    void anInvalidDemoBackendPortStopsItWithOneMessage() throws Exception {
        try (LaunchedProcess backend = LaunchedProcess.start(List.of("demo-backend", "--port", "70000"), dir)) {
            assertThat(backend.awaitExit(Duration.ofSeconds(30))).isEqualTo(2);
            assertThat(backend.output()).contains("--port must be a number between 0 and 65535, got 70000");
        }
    }

    /**
     * The image's {@code RUN bin/portico-cds-archive}: a training run writes portico.jsa beside the jar, and
     * {@code bin/portico} then loads Portico's classes from it (the class-load log says where each came from).
     */
    @Test
    void theCdsArchiveScriptWritesAnArchiveThatTheLauncherMapsIn() throws Exception {
        final Path jar = Files.copy(DeployFiles.path("proxy/target/portico.jar"), dir.resolve("portico.jar"));
        final Path trainingLog = dir.resolve("training.log");
        final ProcessBuilder training = withJava(new ProcessBuilder(
                DeployFiles.path("bin/portico-cds-archive").toString()), jar)
                .redirectErrorStream(true).redirectOutput(trainingLog.toFile());
        training.environment().put("PORTICO_CDS_TRAINING_PORT", Integer.toString(freePort()));
        final Process trainer = training.start();
        assertThat(trainer.waitFor(120, TimeUnit.SECONDS)).as("the training run ends").isTrue();
        assertThat(trainer.exitValue()).as(Files.readString(trainingLog)).isZero();
        final Path archive = dir.resolve("portico.jsa");
        assertThat(Files.size(archive)).isGreaterThan(1 << 20);

        final Path config = dir.resolve("portico.conf");
        Files.writeString(config, "portico { listen { host = \"127.0.0.1\", port = %d }, admin.enabled = false,"
                                  .formatted(freePort()) + " demo.page-port = 0 }\n");
        final Path classLog = dir.resolve("classes.log");
        final ProcessBuilder launch = withJava(new ProcessBuilder(DeployFiles.path("bin/portico").toString(),
                                                                  "--config", config.toString(), "--demo"), jar)
                .redirectErrorStream(true).redirectOutput(dir.resolve("portico.log").toFile());
        launch.environment().put("JDK_JAVA_OPTIONS", "-Xlog:class+load=info:file=" + classLog);
        final Process portico = launch.start();
        try {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.readString(dir.resolve("portico.log")).contains("Portico listening")
                   && System.nanoTime() < deadline && portico.isAlive()) {
                Thread.sleep(100);
            }
            assertThat(Files.readString(dir.resolve("portico.log"))).contains("Portico listening");
        } finally {
            portico.destroy();
            portico.waitFor(15, TimeUnit.SECONDS);
        }
        assertThat(Files.readString(classLog))
                .containsPattern("dev\\.portico\\.proxy\\.PorticoServer source: shared objects file");
    }

    /** The JDK running the tests as {@code java}, and {@code jar} as the launcher's jar. */
    private static ProcessBuilder withJava(ProcessBuilder builder, Path jar) {
        builder.environment().put("PATH", Path.of(System.getProperty("java.home"), "bin") + ":"
                                          + System.getenv("PATH"));
        builder.environment().put("PORTICO_JAR", jar.toString());
        return builder;
    }

    private static int freePort() throws java.io.IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static List<String> composeCommand(String service) throws Exception {
        final Object command = at(DeployFiles.yaml("docker-compose.yml"), "services", service, "command");
        return new ArrayList<>(DeployFiles.list(command).stream().map(String.class::cast).toList());
    }
}
