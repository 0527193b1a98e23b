package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.proxy.testing.PorticoFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The real Node clients of {@code @connectrpc/connect-node}: the Connect and gRPC-Web transports, binary and
 * JSON, over HTTP/1.1 and HTTP/2 (h2c), call the demo service through Portico — unary with headers and
 * trailers, server streaming, errors with details, deadlines, gzip, Connect GET, and client and bidi streaming
 * over HTTP/2. The cases live in web-demo/test/node-clients.mjs; this runs them against a Portico started here
 * and fails with their output.
 */
class NodeClientsTest {
    private static final Path WEB_DEMO = Path.of("..", "web-demo").toAbsolutePath().normalize();

    @Test
    void connectNodeClientsPassEveryCase() throws Exception {
        assertThat(WEB_DEMO.resolve("gen/portico/demo/v1/demo_pb.js"))
                .as("the generated demo service; build it with: cd web-demo && npm ci && npm run build")
                .isRegularFile();
        assertThat(WEB_DEMO.resolve("node_modules/@connectrpc/connect-node"))
                .as("@connectrpc/connect-node; install it with: cd web-demo && npm ci")
                .isDirectory();
        try (PorticoFixture fixture = PorticoFixture.start("")) {
            final Path log = Files.createTempFile("portico-node-clients", ".log");
            final Process node = new ProcessBuilder(List.of(
                    "node", "test/node-clients.mjs", "--target", "http://127.0.0.1:" + fixture.port()))
                    .directory(WEB_DEMO.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            final boolean ended = node.waitFor(120, TimeUnit.SECONDS);
            if (!ended) {
                node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            final String output = Files.readString(log, StandardCharsets.UTF_8);
            Files.delete(log);
            System.out.println(output);
            assertThat(ended).as("node ended within 120 s; output:%n%s", output).isTrue();
            assertThat(node.exitValue()).as("node exit code; output:%n%s", output).isZero();
            assertThat(output)
                    .contains("PASS connect-h1-proto/unary", "PASS grpcweb-h2-json/bidi", "PASS connect-h2-json/get")
                    .containsPattern("\\n60 passed, 0 failed");
        }
    }
}
