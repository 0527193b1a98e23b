package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.EchoResponse;
import dev.portico.proxy.testing.ConnectWire;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.GrpcWebResponse;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.RawHttp1Connection;
import dev.portico.proxy.testing.RawWire;
import dev.portico.proxy.testing.Transport;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A flood of bad requests costs a few log lines, never one per request and never a stack trace: each kind
 * of client mistake is logged once per interval with a count. And the server goes on serving.
 */
class BadInputFloodTest {
    private static final String ECHO = "/portico.demo.v1.DemoService/Echo";
    private static final int ROUNDS = 60;

    private PorticoFixture portico;
    private PrintStream originalErr;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

    @BeforeEach
    void start() throws Exception {
        portico = PorticoFixture.start("");
        // Portico logs to System.err, which logback looks up for every line, so the log can be read back.
        originalErr = System.err;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void stop() throws Exception {
        System.setErr(originalErr);
        portico.close();
    }

    @Test
    void manyBadRequestsOfEveryKindLeaveAFewLinesAndNoStackTrace() throws Exception {
        final byte[] echo = GrpcWeb.frame(EchoRequest.newBuilder().setMessage("x").build());
        for (int round = 0; round < ROUNDS; round++) {
            for (Transport transport : List.of(Transport.HTTP1, Transport.H2C)) {
                try (RawWire wire = RawWire.open(transport, portico.port())) {
                    wire.exchange("POST", ECHO, new DefaultHttpHeaders().set("content-type", "text/nonsense"),
                                  new byte[] {1});
                    wire.exchange("PUT", ECHO, GrpcWeb.headers(GrpcWeb.PROTO), echo);
                    wire.exchange("POST", ECHO, GrpcWeb.headers(GrpcWeb.PROTO).set("grpc-timeout", "10s"),
                                  echo);
                    wire.exchange("POST", ECHO, GrpcWeb.headers(GrpcWeb.TEXT), "!!!!".getBytes());
                    wire.exchange("POST", "/not-a-method", GrpcWeb.headers(GrpcWeb.PROTO), echo);
                    wire.exchange("GET", ECHO + "?encoding=json&message=%9", new DefaultHttpHeaders(), null);
                    wire.exchange("POST", ECHO, ConnectWire.unaryHeaders("json"), ConnectWire.utf8("{\"x\":"));
                }
            }
            // Bytes that are not HTTP at all.
            try (RawHttp1Connection garbage = RawHttp1Connection.connect(portico.port())) {
                final byte[] noise = new byte[300];
                Arrays.fill(noise, (byte) 0x01);
                garbage.send(noise);
                assertThat(garbage.readResponse().status()).isEqualTo(400);
            }
        }

        try (RawWire wire = RawWire.open(Transport.H2C, portico.port())) {
            final GrpcWebResponse ok = GrpcWebResponse.of(
                    wire.exchange("POST", ECHO, GrpcWeb.headers(GrpcWeb.PROTO), echo), GrpcWeb.PROTO);
            assertThat(ok.code()).isZero();
            assertThat(ok.messages(EchoResponse.parser()).get(0).getMessage()).isEqualTo("x");
        }
        System.err.flush();
        final List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().toList();
        final List<String> warnings = lines.stream().filter(l -> l.contains(" WARN ")).toList();
        final List<String> stackLines = lines.stream().filter(l -> l.startsWith("\tat ")).toList();
        // 15 bad requests a round, ROUNDS rounds: far more than the kinds of mistake they make.
        assertThat(warnings).as("WARN lines for %d bad requests:%n%s", ROUNDS * 15, String.join("\n", warnings))
                            .hasSizeLessThanOrEqualTo(12);
        assertThat(stackLines).as("stack-trace lines").isEmpty();
    }
}
