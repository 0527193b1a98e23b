package dev.portico.proxy.testing;

import dev.portico.config.PorticoConfig;
import dev.portico.config.PorticoSettings;
import dev.portico.proxy.PorticoServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;

/**
 * A real Portico on 127.0.0.1 with no backend of its own, in front of whatever endpoints a test names: an
 * upstream that is down ({@link #closedPort()}), or a mix of down and up ones. {@link PorticoFixture} is
 * the usual choice; this one is for the upstream failures it cannot stage.
 */
public final class StandalonePortico implements AutoCloseable {
    private final PorticoServer portico;

    private StandalonePortico(PorticoServer portico) {
        this.portico = portico;
    }

    /**
     * Starts Portico balancing round-robin over {@code endpoints} ("host:port"), in the order given, with no
     * health checks, ejection or retries (unless {@code extraHocon} turns them on), so that every upstream
     * failure reaches the client as it happened.
     */
    public static StandalonePortico start(List<String> endpoints, String extraHocon) throws Exception {
        final StringBuilder hocon = new StringBuilder()
                .append("portico.listen { host = \"127.0.0.1\", port = 0, shutdown-grace-period = 1s }\n")
                .append("portico.admin.enabled = false\n")
                .append("portico.upstream { health-check.enabled = false, outlier-detection.enabled = false,"
                        + " max-attempts = 1 }\n")
                .append("portico.upstream.endpoints = [");
        for (int i = 0; i < endpoints.size(); i++) {
            hocon.append(i == 0 ? "" : ", ").append('"').append(endpoints.get(i)).append('"');
        }
        hocon.append("]\n").append(extraHocon).append('\n');
        final PorticoSettings settings = PorticoConfig.parse(hocon.toString());
        return new StandalonePortico(PorticoServer.start(settings, false));
    }

    /**
     * A loopback port that was free a moment ago and has nothing listening now: it was bound and closed
     * again, so connecting to it is refused.
     */
    public static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    public int port() {
        return portico.port();
    }

    public TestHttpClient connect(Transport transport) throws InterruptedException {
        return TestHttpClient.connect(transport, port());
    }

    @Override
    public void close() {
        portico.close();
    }
}
