package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.WebDemoScripts;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * gRPC-Web over WebSocket from real browser code in headless Chromium: improbable-eng's client with its
 * WebSocket transport (from npm, unchanged) and Portico's Connect-ES transport (web-demo/src), on every call
 * type, with metadata, deadlines, errors with details and cancellation, from an allowed origin; and refused at
 * the upgrade from another origin. The cases live in web-demo/test/page/websocket.ts.
 */
class WebSocketBrowserTest {
    private static final String CANCEL_CASES = "improbable/cancel,connect-ws/abort";

    @Test
    void improbableAndConnectClientsCallEveryMethodOverWebSocketFromAnAllowedOriginOnly() throws Exception {
        final int pagePort = freePort();
        try (PorticoFixture fixture = PorticoFixture.start(
                "portico.websocket.allowed-origins = [\"http://127.0.0.1:" + pagePort + "\"]")) {
            // Closing the WebSocket from the browser cancels the upstream call: the backend sees both.
            final int cancelledBefore = fixture.backend().service().cancelledCalls();
            final String cancels = runNode(fixture.port(), pagePort, "--only", CANCEL_CASES);
            assertThat(cancels).containsPattern("\\n2 passed, 0 failed");
            awaitCancelled(fixture, cancelledBefore + 2);

            final String output = runNode(fixture.port(), pagePort);
            assertThat(output).contains("PASS improbable/bidi", "PASS connect-ws/bidi", "PASS chat/bidi",
                                        "PASS other-origin/refused")
                              .containsPattern("\\n16 passed, 0 failed");
        }
    }

    private static void awaitCancelled(PorticoFixture fixture, int expected) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (fixture.backend().service().cancelledCalls() < expected && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(fixture.backend().service().cancelledCalls()).as("upstream calls cancelled")
                                                                 .isGreaterThanOrEqualTo(expected);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static String runNode(int porticoPort, int pagePort, String... only)
            throws IOException, InterruptedException {
        WebDemoScripts.assertBrowserTestsCanRun();
        final List<String> options = new ArrayList<>(List.of("--target", "http://127.0.0.1:" + porticoPort,
                                                             "--page", "websocket", "--page-port",
                                                             Integer.toString(pagePort)));
        options.addAll(List.of(only));
        return WebDemoScripts.run(Duration.ofSeconds(120), "test/browser-clients.mjs", options.toArray(String[]::new));
    }
}
