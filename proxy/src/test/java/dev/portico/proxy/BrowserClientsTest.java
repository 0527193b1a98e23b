package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.proxy.testing.PorticoFixture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The real browser clients in headless Chromium: the official grpc-web client (text and binary modes) and
 * connect-web's gRPC-Web transport call the demo service through Portico from another origin; and the
 * demo page works as served in demo mode. The cases live in web-demo/test; this runs them against a
 * Portico started here and fails with their output.
 */
class BrowserClientsTest {
    private static final Path WEB_DEMO = Path.of("..", "web-demo").toAbsolutePath().normalize();

    @Test
    void grpcWebAndConnectWebClientsPassEveryCaseFromAnotherOrigin() throws Exception {
        try (PorticoFixture fixture = PorticoFixture.start("")) {
            final String output = runNode("test/browser-clients.mjs", fixture.port());
            assertThat(output).contains("PASS grpcweb-text/unary-echo").containsPattern("\\n15 passed, 0 failed");
        }
    }

    @Test
    void theDemoPageCallsTheDemoServiceFromTheBrowser() throws Exception {
        try (PorticoFixture fixture = PorticoFixture.startWithDemoPage()) {
            final String output = runNode("test/demo-page.mjs", fixture.port());
            assertThat(output).containsPattern("\\n3 passed, 0 failed");
        }
    }

    /** Runs a web-demo test script against the Portico on {@code port}; fails unless it exits 0. */
    static String runNode(String script, int port, String... options) throws IOException, InterruptedException {
        assertThat(WEB_DEMO.resolve("dist"))
                .as("the browser bundle; build it with: cd web-demo && npm ci && npm run build")
                .isDirectory();
        assertThat(Path.of("/usr/bin/chromium")).as("Chromium (Debian package chromium)").exists();
        final Path log = Files.createTempFile("portico-browser", ".log");
        final List<String> command = new ArrayList<>(List.of("node", script, "--target", "http://127.0.0.1:" + port));
        command.addAll(List.of(options));
        final Process node = new ProcessBuilder(command)
                .directory(WEB_DEMO.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        final boolean ended = node.waitFor(120, TimeUnit.SECONDS);
        if (!ended) {
            node.destroyForcibly();
        }
        final String output = Files.readString(log, StandardCharsets.UTF_8);
        Files.delete(log);
        System.out.println(output);
        assertThat(ended).as("node ended within 120 s; output:%n%s", output).isTrue();
        assertThat(node.exitValue()).as("node exit code; output:%n%s", output).isZero();
        return output;
    }
}
