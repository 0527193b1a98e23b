package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.EchoResponse;
import dev.portico.proxy.demo.DemoBackend;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.TestHttpClient;
import dev.portico.proxy.testing.Transport;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar, started exactly as the Docker image and the README start it (the {@code bin/portico}
 * launcher, {@code --config FILE} or no upstream for demo mode), in its own process.
 */
class PackagedJarIT {
    private static final Path LAUNCHER = Path.of("..", "bin", "portico").toAbsolutePath().normalize();
    private static final Pattern LISTENING = Pattern.compile("Portico listening on https?://\\S*:(\\d+) ");
    private static final Pattern DEMO_APP = Pattern.compile("demo app: http://127\\.0\\.0\\.1:(\\d+)/");

    @TempDir
    Path dir;

    /** Each started process and the file its output goes to. */
    private final List<Process> processes = new ArrayList<>();
    private final List<Path> logs = new ArrayList<>();

    @Test
    void theJarProxiesToTheConfiguredUpstreamAndStopsCleanlyOnSigterm() throws Exception {
        try (DemoBackend backend = DemoBackend.start(0)) {
            final Path config = dir.resolve("portico.conf");
            Files.writeString(config, """
                    portico {
                      listen { host = "127.0.0.1", port = 0 }
                      admin { host = "127.0.0.1", port = 0 }
                      upstream.endpoints = ["127.0.0.1:%d"]
                    }
                    """.formatted(backend.port()));
            final Process portico = start(List.of("--config", config.toString()));
            try {
                final int port = awaitPort(portico, LISTENING);
                try (TestHttpClient client = TestHttpClient.connect(Transport.H2C, port)) {
                    final TestHttpClient.Response response = client.call(
                            HttpMethod.POST, "/portico.demo.v1.DemoService/Echo", GrpcWeb.headers(GrpcWeb.PROTO),
                            GrpcWeb.frame(EchoRequest.newBuilder().setMessage("packaged").build()));
                    final GrpcWeb.Body body = GrpcWeb.parse(response.body());
                    assertThat(body.messages(EchoResponse.parser()).get(0).getMessage()).isEqualTo("packaged");
                    assertThat(body.trailer("grpc-status")).isEqualTo("0");
                }
            } finally {
                portico.destroy(); // SIGTERM, as `docker stop` sends.
            }
            assertThat(portico.waitFor(15, TimeUnit.SECONDS)).as("stopped within the grace period").isTrue();
            assertThat(portico.exitValue()).as("a drained stop is a clean exit, not 143").isZero();
            assertThat(output(portico)).doesNotContain("LEAK:");
        }
    }

    @Test
    void withNoUpstreamTheJarRunsTheDemoBackendAndServesTheDemoApp() throws Exception {
        final Process portico = start(List.of("-Dportico.listen.host=127.0.0.1", "-Dportico.listen.port=0",
                                               "-Dportico.demo.page-port=0", "-Dportico.admin.enabled=false"));
        try {
            final int port = awaitPort(portico, LISTENING);
            final int appPort = awaitPort(portico, DEMO_APP);
            try (TestHttpClient client = TestHttpClient.connect(Transport.HTTP1, port);
                 TestHttpClient app = TestHttpClient.connect(Transport.HTTP1, appPort)) {
                final TestHttpClient.Response redirect = client.call(
                        HttpMethod.GET, "/", new DefaultHttpHeaders(), new byte[0]);
                assertThat(redirect.status()).isEqualTo(302);
                assertThat(redirect.headers().get("location")).isEqualTo("http://127.0.0.1:" + appPort + "/");
                final TestHttpClient.Response page = app.call(HttpMethod.GET, "/", new DefaultHttpHeaders(),
                                                              new byte[0]);
                assertThat(page.status()).isEqualTo(200);
                assertThat(new String(page.body(), StandardCharsets.UTF_8)).contains("Portico demo");
                // The bundle the jar packs (web-demo/site/app.js, committed).
                assertThat(app.call(HttpMethod.GET, "/app.js", new DefaultHttpHeaders(), new byte[0]).status())
                        .isEqualTo(200);
                final TestHttpClient.Response echo = client.call(
                        HttpMethod.POST, "/portico.demo.v1.DemoService/Echo", GrpcWeb.headers(GrpcWeb.PROTO),
                        GrpcWeb.frame(EchoRequest.newBuilder().setMessage("demo").build()));
                assertThat(GrpcWeb.parse(echo.body()).trailer("grpc-status")).isEqualTo("0");
            }
        } finally {
            portico.destroy();
            portico.waitFor(15, TimeUnit.SECONDS);
        }
    }

    @Test
    void anInvalidConfigurationStopsStartUpWithOneMessageNamingTheKey() throws Exception {
        final Path config = dir.resolve("bad.conf");
        Files.writeString(config, "portico.listen.port = 70000\n");
        final Process portico = start(List.of("--config", config.toString()));
        assertThat(portico.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(portico.exitValue()).isEqualTo(2);
        assertThat(output(portico)).contains("portico.listen.port").contains("70000");
    }

    /**
     * {@code bin/portico [args]}, the image's command. {@code -D} arguments go in through
     * JAVA_TOOL_OPTIONS, with leak detection, so that the command line stays the image's.
     */
    private Process start(List<String> args) throws IOException {
        final List<String> command = new ArrayList<>(List.of(LAUNCHER.toString()));
        args.stream().filter(a -> !a.startsWith("-D")).forEach(command::add);
        final List<String> properties = new ArrayList<>(List.of("-Dio.netty.leakDetection.level=paranoid"));
        args.stream().filter(a -> a.startsWith("-D")).forEach(properties::add);
        final ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("portico-" + System.nanoTime() + ".log").toFile());
        builder.environment().put("JAVA_TOOL_OPTIONS", String.join(" ", properties));
        // The launcher runs `java` from the PATH: make it the JDK running the tests.
        builder.environment().put("PATH", Path.of(System.getProperty("java.home"), "bin") + ":"
                                          + System.getenv("PATH"));
        final Process process = builder.start();
        logs.add(builder.redirectOutput().file().toPath());
        processes.add(process);
        return process;
    }

    private String output(Process process) throws IOException {
        return Files.readString(logs.get(processes.indexOf(process)), StandardCharsets.UTF_8);
    }

    /** The port in the first log line {@code line} matches (group 1), once Portico has printed it. */
    private int awaitPort(Process process, Pattern line) throws IOException, InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            final Matcher matcher = line.matcher(output(process));
            if (matcher.find()) {
                return Integer.parseInt(matcher.group(1));
            }
            assertThat(process.isAlive()).as("Portico is running; output:%n%s", output(process)).isTrue();
            Thread.sleep(50);
        }
        throw new AssertionError("Portico did not start within 30 s:\n" + output(process));
    }
}
