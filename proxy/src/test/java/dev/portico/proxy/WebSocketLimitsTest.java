package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.portico.demo.v1.EchoRequest;
import dev.portico.proxy.testing.GrpcWebSocketClient;
import dev.portico.proxy.testing.PorticoFixture;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The call limits hold for calls over WebSocket as for any other: message size and calls in flight. */
class WebSocketLimitsTest {
    private static final String SERVICE = "/portico.demo.v1.DemoService/";
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static PorticoFixture fixture;

    @BeforeAll
    static void start() throws Exception {
        fixture = PorticoFixture.start("""
                portico.limits.max-message-bytes = 1 KiB
                portico.limits.max-calls-in-flight = 1
                """);
    }

    @AfterAll
    static void stop() throws Exception {
        fixture.close();
    }

    private static EchoRequest echo(int payloadBytes) {
        return EchoRequest.newBuilder().setMessage("m").setPayload(ByteString.copyFrom(new byte[payloadBytes]))
                          .build();
    }

    private static String echoStatus(EchoRequest request) throws Exception {
        try (GrpcWebSocketClient ws = GrpcWebSocketClient.open(fixture.port(), SERVICE + "Echo")) {
            ws.sendHeaders().sendMessage(request).finishSend();
            return ws.awaitResponse(WAIT).status();
        }
    }

    @Test
    void aMessageOverMaxMessageBytesEndsItsCallWithResourceExhausted() throws Exception {
        assertThat(echoStatus(echo(2048))).isEqualTo("8");
        assertThat(echoStatus(echo(100))).as("the next call").isEqualTo("0");
    }

    @Test
    void overMaxCallsInFlightACallIsRefusedUnavailableAtOnce() throws Exception {
        try (GrpcWebSocketClient held = GrpcWebSocketClient.open(fixture.port(), SERVICE + "BidiStream")) {
            held.sendHeaders().sendMessage(echo(10));
            assertThat(held.nextMessage(WAIT)).as("the held call's header frame: it is in flight").isNotNull();
            assertThat(echoStatus(echo(10))).isEqualTo("14");
            held.finishSend();
            assertThat(held.awaitClose(WAIT)).as("the held call ends normally").isEqualTo(1000);
        }
        assertThat(echoStatus(echo(10))).as("once the held call ended").isEqualTo("0");
    }
}
