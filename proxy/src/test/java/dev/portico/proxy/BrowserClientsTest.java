package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.WebDemoScripts;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The real browser clients in headless Chromium: the official grpc-web client (text and binary modes) and
 * connect-web's gRPC-Web transport call the demo service through Portico from another origin. The cases live
 * in web-demo/test; this runs them against a Portico started here and fails with their output. (The demo
 * app's own test is {@link DemoAppTest}.)
 */
class BrowserClientsTest {

    @Test
    void grpcWebAndConnectWebClientsPassEveryCaseFromAnotherOrigin() throws Exception {
        WebDemoScripts.assertBrowserTestsCanRun();
        try (PorticoFixture fixture = PorticoFixture.start("")) {
            final String output = WebDemoScripts.run(Duration.ofSeconds(120), "test/browser-clients.mjs",
                                                     "--target", "http://127.0.0.1:" + fixture.port());
            assertThat(output).contains("PASS grpcweb-text/unary-echo").containsPattern("\\n15 passed, 0 failed");
        }
    }
}
