package dev.portico.proxy.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a node script of web-demo/ (the browser and demo-app tests) and fails with its output unless it ends
 * with exit code 0 in time. The scripts print PASS/FAIL lines and {@code N passed, M failed}.
 */
public final class WebDemoScripts {
    /** The web-demo directory, next to the proxy module. */
    public static final Path WEB_DEMO = Path.of("..", "web-demo").toAbsolutePath().normalize();

    private WebDemoScripts() {}

    /** {@code node <script> <args>} in web-demo/; returns what it printed. */
    public static String run(Duration timeout, String script, String... args)
            throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>(List.of("node", script));
        command.addAll(List.of(args));
        final Path log = Files.createTempFile("portico-web-demo", ".log");
        final Process node = new ProcessBuilder(command)
                .directory(WEB_DEMO.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        final boolean ended = node.waitFor(timeout.toSeconds(), TimeUnit.SECONDS);
        if (!ended) {
            node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        final String output = Files.readString(log, StandardCharsets.UTF_8);
        Files.delete(log);
        System.out.println(output);
        assertThat(ended).as("%s ended within %s; output:%n%s", script, timeout, output).isTrue();
        assertThat(node.exitValue()).as("%s exit code; output:%n%s", script, output).isZero();
        return output;
    }

    /** Fails with how to get them unless Chromium and the built browser code are there. */
    public static void assertBrowserTestsCanRun() {
        assertThat(WEB_DEMO.resolve("dist"))
                .as("the browser bundle; build it with: cd web-demo && npm ci && npm run build")
                .isDirectory();
        assertThat(Path.of("/usr/bin/chromium")).as("Chromium (Debian package chromium)").exists();
    }
}
