package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.TestHttpClient;
import dev.portico.proxy.testing.Transport;
import dev.portico.proxy.testing.WebDemoScripts;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The web demo app (web-demo/src, built into web-demo/site and packed into the jar) as demo mode serves it:
 * from a listener of its own, so that its calls to Portico are cross-origin. The browser test clicks
 * through every client and transport the app offers in headless Chromium (web-demo/test/demo-app.mjs) and
 * saves screenshots in target/demo-screenshots; with {@code -Dportico.docs.screenshot=true} it also
 * refreshes the README's docs/demo.png.
 */
class DemoAppTest {
    private static final Path SCREENSHOTS = Path.of("target", "demo-screenshots").toAbsolutePath();
    private static final Path DOCS_SCREENSHOT = Path.of("..", "docs", "demo.png").toAbsolutePath().normalize();
    /** Clients × cases of demo-app.mjs, plus its chat, CORS and phone-layout checks. */
    private static final int CASES = 5 * 5 + 3;

    @Test
    void portico_redirectsItsRootToTheDemoAppServedFromAnotherPort() throws Exception {
        try (PorticoFixture fixture = PorticoFixture.startWithDemoApp();
             TestHttpClient portico = TestHttpClient.connect(Transport.HTTP1, fixture.port());
             TestHttpClient app = TestHttpClient.connect(Transport.HTTP1, fixture.demoAppPort())) {
            assertThat(fixture.demoAppPort()).isPositive().isNotEqualTo(fixture.port());

            // The host the browser used (the client sends Host: 127.0.0.1:port) is kept, with the app's port.
            final TestHttpClient.Response redirect = get(portico, "/");
            assertThat(redirect.status()).isEqualTo(302);
            assertThat(redirect.headers().get(HttpHeaderNames.LOCATION))
                    .isEqualTo("http://127.0.0.1:" + fixture.demoAppPort() + "/");
            try (TestHttpClient h2c = TestHttpClient.connect(Transport.H2C, fixture.port())) {
                final TestHttpClient.Response overHttp2 = get(h2c, "/");
                assertThat(overHttp2.status()).as("over HTTP/2").isEqualTo(302);
                assertThat(overHttp2.headers().get(HttpHeaderNames.LOCATION))
                        .isEqualTo(redirect.headers().get(HttpHeaderNames.LOCATION));
            }

            final TestHttpClient.Response page = get(app, "/");
            assertThat(page.status()).isEqualTo(200);
            assertThat(page.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("text/html; charset=utf-8");
            assertThat(new String(page.body(), StandardCharsets.UTF_8))
                    .contains("<title>Portico demo</title>", "<section class=\"card wide\" id=\"chat\">");
            assertThat(get(app, "/app.js").body().length).as("the bundled app").isGreaterThan(10_000);

            assertThat(new String(get(app, "/portico.json").body(), StandardCharsets.UTF_8))
                    .isEqualTo("{\"scheme\":\"http\",\"port\":" + fixture.port() + "}");
            assertThat(get(app, "/nope.js").status()).isEqualTo(404);
            assertThat(app.call(HttpMethod.POST, "/", new DefaultHttpHeaders(), new byte[0]).status())
                    .isEqualTo(405);
        }
    }

    @Test
    void theCommittedAppBundleIsWhatTheSourcesBuildTo() throws Exception {
        // mvn package (the README's run command) runs no npm: it packs the committed site/app.js.
        final String output = WebDemoScripts.run(Duration.ofSeconds(60), "build-site.mjs", "--check");
        assertThat(output).contains("site/app.js is current");
    }

    @Test
    void everyClientAndTransportOfTheDemoAppWorksCrossOriginAgainstTheDemoService() throws Exception {
        WebDemoScripts.assertBrowserTestsCanRun();
        try (PorticoFixture fixture = PorticoFixture.startWithDemoApp()) {
            final int cancelledBefore = fixture.backend().service().cancelledCalls();
            final List<String> args = new ArrayList<>(List.of(
                    "--app", "http://127.0.0.1:" + fixture.demoAppPort(),
                    "--screenshots", SCREENSHOTS.toString()));
            if (Boolean.getBoolean("portico.docs.screenshot")) {
                args.addAll(List.of("--docs-screenshot", DOCS_SCREENSHOT.toString()));
            }
            final String output = WebDemoScripts.run(Duration.ofSeconds(200), "test/demo-app.mjs",
                                                     args.toArray(String[]::new));

            assertThat(output).contains("PASS grpcweb-text/stream-cancel", "PASS connect-json/error")
                              .containsPattern("\\n" + CASES + " passed, 0 failed");
            // Each client's stream-cancel case: the upstream call ended as cancelled, as the page said.
            assertThat(fixture.backend().service().cancelledCalls() - cancelledBefore)
                    .isGreaterThanOrEqualTo(5);
            assertThat(SCREENSHOTS.resolve("demo-phone.png")).isNotEmptyFile();
        }
    }

    private static TestHttpClient.Response get(TestHttpClient client, String path) throws InterruptedException {
        return client.call(HttpMethod.GET, path, new DefaultHttpHeaders(), new byte[0]);
    }
}
