package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.proxy.testing.InventoryBackend;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.WebDemoScripts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The API explorer page in headless Chromium (web-demo/test/explorer.mjs), served by the admin listener and
 * calling Portico's listener on another port (cross-origin): it lists the demo service's methods, builds a
 * valid template, calls Echo with metadata, streams live and cancels (the upstream sees the cancellation),
 * shows a failing call's status and details, lets a timeout expire, sends client and bidi streams, and
 * does all that for a second upstream with another schema. Disabled, the page is not there.
 *
 * <p>Leaves a screenshot in target/explorer.png; with {@code -Dportico.docs-screenshots=true} it also
 * replaces the README's docs/explorer.png.
 */
class ExplorerBrowserTest {
    private static final Duration NODE_TIMEOUT = Duration.ofSeconds(150);

    @Test
    void theExplorerListsBuildsAndCallsAnyUpstreamFromTheBrowser() throws Exception {
        final Path screenshot = Path.of("target", "explorer.png").toAbsolutePath();
        Files.deleteIfExists(screenshot);
        try (InventoryBackend inventory = InventoryBackend.start();
             PorticoFixture portico = PorticoFixture.start(
                     "portico.admin.explorer.enabled = true\n"
                     + "portico.upstream.clusters.inventory { endpoints = [\"127.0.0.1:" + inventory.port()
                     + "\"], services = [\"portico.test.v1.*\"] }\n")) {
            portico.awaitReady(Duration.ofSeconds(10));

            WebDemoScripts.assertBrowserTestsCanRun();
            final String output = WebDemoScripts.run(NODE_TIMEOUT, "test/explorer.mjs",
                    "--admin", "http://127.0.0.1:" + portico.adminPort(), "--inventory",
                    "--screenshot", screenshot.toString());

            assertThat(output).contains("PASS explorer/server-stream-live-then-cancel")
                              .containsPattern("\\n13 passed, 0 failed");
            // The browser's abort reached the upstream: the demo service saw its stream cancelled, and the
            // Echo whose timeout expired (grpc-java cancels a call at its deadline).
            assertThat(awaitCancelledCalls(portico, 2, Duration.ofSeconds(5))).isEqualTo(2);
            portico.awaitActiveCalls(0);
        }
        assertThat(screenshot).isNotEmptyFile();
        if (Boolean.getBoolean("portico.docs-screenshots")) {
            Files.copy(screenshot, Path.of("..", "docs", "explorer.png"), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @Test
    void disabledTheExplorerIsNotThere() throws Exception {
        try (PorticoFixture portico = PorticoFixture.start("")) {
            WebDemoScripts.assertBrowserTestsCanRun();
            final String output = WebDemoScripts.run(NODE_TIMEOUT, "test/explorer.mjs",
                    "--admin", "http://127.0.0.1:" + portico.adminPort(), "--expect-disabled");

            assertThat(output).containsPattern("\\n3 passed, 0 failed");
        }
    }

    /** The calls the demo service saw cancelled, once they are {@code expected} or {@code timeout} passed. */
    private static int awaitCancelledCalls(PorticoFixture portico, int expected, Duration timeout)
            throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (portico.backend().service().cancelledCalls() < expected && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return portico.backend().service().cancelledCalls();
    }
}
