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
 * Runs one of web-demo/test's Node scripts (the browser and Node client cases) and fails with its output
 * unless it ends in time with exit code 0. The scripts drive Debian's Chromium through playwright-core from
 * web-demo's node_modules ({@code cd web-demo && npm ci && npm run build}).
 */
public final class NodeScript {
    /** web-demo/, next to the proxy module the tests run in. */
    public static final Path WEB_DEMO = Path.of("..", "web-demo").toAbsolutePath().normalize();

    private NodeScript() {
    }

    /** Runs {@code node script args...} in web-demo/ and returns its output (printed too). */
    public static String run(String script, List<String> args, Duration timeout)
            throws IOException, InterruptedException {
        assertThat(WEB_DEMO.resolve("node_modules"))
                .as("web-demo's packages; install them with: cd web-demo && npm ci && npm run build")
                .isDirectory();
        assertThat(Path.of("/usr/bin/chromium")).as("Chromium (Debian package chromium)").exists();
        final List<String> command = new ArrayList<>(List.of("node", script));
        command.addAll(args);
        final Path log = Files.createTempFile("portico-node", ".log");
        final Process node = new ProcessBuilder(command)
                .directory(WEB_DEMO.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        final boolean ended = node.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!ended) {
            node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        final String output = Files.readString(log, StandardCharsets.UTF_8);
        Files.delete(log);
        System.out.println(output);
        assertThat(ended).as("node ended within %s; output:%n%s", timeout, output).isTrue();
        assertThat(node.exitValue()).as("node exit code; output:%n%s", output).isZero();
        return output;
    }
}
