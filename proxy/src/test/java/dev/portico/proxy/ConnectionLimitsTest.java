package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.EchoResponse;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.PrometheusScrape;
import dev.portico.proxy.testing.RawHttp1Connection;
import dev.portico.proxy.testing.TestHttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code portico.listen.max-connections} and {@code max-connections-per-ip}, with real sockets. */
class ConnectionLimitsTest {
    private static final String ECHO = "/portico.demo.v1.DemoService/Echo";
    /** A connection over the limit is closed at once; this only absorbs a busy machine. */
    private static final Duration AT_ONCE = Duration.ofSeconds(3);
    private static final Duration READY = Duration.ofSeconds(20);

    @Test
    void aConnectionOverMaxConnectionsIsClosedAtOnceAndClientsAreServedAgainUnderIt() throws Exception {
        try (PorticoFixture fixture = PorticoFixture.start("portico.listen.max-connections = 3")
                .awaitReady(READY)) {
            assertLimitHolds(fixture, 3, "max_connections");
        }
    }

    @Test
    void aConnectionOverMaxConnectionsPerIpIsClosedAtOnce() throws Exception {
        try (PorticoFixture fixture = PorticoFixture.start("portico.listen.max-connections-per-ip = 2")
                .awaitReady(READY)) {
            assertLimitHolds(fixture, 2, "max_connections_per_ip");
        }
    }

    private static void assertLimitHolds(PorticoFixture fixture, int limit, String reason) throws Exception {
        final List<RawHttp1Connection> open = new ArrayList<>();
        try {
            for (int i = 0; i < limit; i++) {
                final RawHttp1Connection connection = RawHttp1Connection.connect(fixture.port());
                open.add(connection);
                assertEchoes(fixture, connection, "within the limit " + i);
            }
            try (RawHttp1Connection over = RawHttp1Connection.connect(fixture.port())) {
                assertThat(over.closedByServer(AT_ONCE)).as("the connection over the limit is closed").isTrue();
            }
            final PrometheusScrape metrics = PrometheusScrape.fetch(fixture.adminPort());
            assertThat(metrics.value("portico_connections_rejected_total", Map.of("reason", reason)))
                    .hasValue(1.0);
            assertThat(metrics.value("portico_connections_closed_total", Map.of("reason", reason))).hasValue(1.0);
            // Open connections of every HTTP version.
            assertThat(metrics.sum("portico_connections_open")).isEqualTo(limit);

            // The connections already open are served on.
            assertEchoes(fixture, open.get(0), "again on an open connection");

            // Once one closes, a new client is served.
            open.remove(0).close();
            assertThat(awaitOpenConnections(fixture, limit - 1)).isTrue();
            try (RawHttp1Connection next = RawHttp1Connection.connect(fixture.port())) {
                assertEchoes(fixture, next, "under the limit again");
            }
        } finally {
            for (RawHttp1Connection connection : open) {
                connection.close();
            }
        }
    }

    private static void assertEchoes(PorticoFixture fixture, RawHttp1Connection connection, String message)
            throws Exception {
        final byte[] body = GrpcWeb.frame(EchoRequest.newBuilder().setMessage(message).build());
        connection.send(RawHttp1Connection.request("POST", ECHO, fixture.port(),
                                                   Map.of("content-type", GrpcWeb.PROTO,
                                                          "content-length", String.valueOf(body.length)), body));
        final TestHttpClient.Response response = connection.readResponse();
        assertThat(response.status()).isEqualTo(200);
        final GrpcWeb.Body echoed = GrpcWeb.parse(response.body());
        assertThat(echoed.trailer("grpc-status")).isEqualTo("0");
        assertThat(echoed.messages(EchoResponse.parser()).get(0).getMessage()).isEqualTo(message);
    }

    private static boolean awaitOpenConnections(PorticoFixture fixture, int expected) throws Exception {
        final long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < deadline) {
            final double open = PrometheusScrape.fetch(fixture.adminPort()).sum("portico_connections_open");
            if (open == expected) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }
}
