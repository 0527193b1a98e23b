package dev.portico.proxy.testing;

import dev.portico.config.InvalidConfigException;
import dev.portico.config.PorticoConfig;
import dev.portico.config.PorticoSettings;
import dev.portico.proxy.PorticoServer;
import dev.portico.proxy.demo.DemoBackend;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import java.security.cert.CertificateException;
import java.time.Duration;

/**
 * A real Portico in front of a real grpc-java backend (the demo service), both on 127.0.0.1 with
 * ephemeral ports. Extra HOCON tunes Portico for a test; {@code upstream} overrides where calls go.
 */
public final class PorticoFixture implements AutoCloseable {
    private static SelfSignedCertificate certificate;

    private final DemoBackend backend;
    private final PorticoServer portico;

    private PorticoFixture(DemoBackend backend, PorticoServer portico) {
        this.backend = backend;
        this.portico = portico;
    }

    /** Portico over cleartext (HTTP/1.1 and h2c) with {@code extraHocon} on top of the test defaults. */
    public static PorticoFixture start(String extraHocon) throws Exception {
        return start(extraHocon, false);
    }

    /**
     * Portico over cleartext in demo mode: the web demo app on a listener of its own ({@link #demoAppPort()}),
     * GET / redirecting there.
     */
    public static PorticoFixture startWithDemoApp() throws Exception {
        final DemoBackend backend = DemoBackend.start(0);
        try {
            final PorticoSettings settings = settings(backend.port(), "portico.demo.page-port = 0", false);
            return new PorticoFixture(backend, PorticoServer.start(settings, true));
        } catch (Exception | Error e) {
            backend.close();
            throw e;
        }
    }

    /** Portico over TLS (ALPN h2 and http/1.1) with a self-signed certificate. */
    public static PorticoFixture startTls(String extraHocon) throws Exception {
        return start(extraHocon, true);
    }

    private static PorticoFixture start(String extraHocon, boolean tls) throws Exception {
        final DemoBackend backend = DemoBackend.start(0);
        try {
            return new PorticoFixture(backend, startPortico(backend.port(), extraHocon, tls));
        } catch (Exception | Error e) {
            backend.close();
            throw e;
        }
    }

    /** Portico alone, in front of an upstream the test runs itself; {@link #backend()} is then null. */
    public static PorticoFixture startInFrontOf(int upstreamPort, String extraHocon) throws Exception {
        return new PorticoFixture(null, startPortico(upstreamPort, extraHocon, false));
    }

    private static PorticoServer startPortico(int upstreamPort, String extraHocon, boolean tls) throws Exception {
        final PorticoSettings settings = settings(upstreamPort, extraHocon, tls);
        return PorticoServer.start(settings, false);
    }

    private static PorticoSettings settings(int backendPort, String extraHocon, boolean tls)
            throws InvalidConfigException, CertificateException {
        final StringBuilder hocon = new StringBuilder()
                .append("portico.listen { host = \"127.0.0.1\", port = 0, shutdown-grace-period = 1s }\n")
                .append("portico.admin { host = \"127.0.0.1\", port = 0 }\n")
                .append("portico.upstream.endpoints = [\"127.0.0.1:").append(backendPort).append("\"]\n");
        if (tls) {
            final SelfSignedCertificate cert = certificate();
            hocon.append("portico.tls { cert-chain-file = \"").append(cert.certificate().getAbsolutePath())
                 .append("\", private-key-file = \"").append(cert.privateKey().getAbsolutePath()).append("\" }\n");
        }
        hocon.append(extraHocon).append('\n');
        return PorticoConfig.parse(hocon.toString());
    }

    private static synchronized SelfSignedCertificate certificate() throws CertificateException {
        if (certificate == null) {
            certificate = new SelfSignedCertificate("localhost");
        }
        return certificate;
    }

    public int port() {
        return portico.port();
    }

    public int adminPort() {
        return portico.adminPort();
    }

    /** The demo app's port ({@link #startWithDemoApp()}), else -1. */
    public int demoAppPort() {
        return portico.demoAppPort();
    }

    public DemoBackend backend() {
        return backend;
    }

    public PorticoServer portico() {
        return portico;
    }

    /**
     * Waits until every upstream cluster has a healthy endpoint: on a busy machine the first health answer
     * can take longer than the check's timeout, and calls fail UNAVAILABLE meanwhile. Fails after
     * {@code timeout}.
     */
    public PorticoFixture awaitReady(Duration timeout) throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!portico.readiness().check().ready()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not ready after " + timeout + ": " + portico.readiness().check());
            }
            Thread.sleep(20);
        }
        return this;
    }

    /** Waits up to 10 s for exactly {@code expected} calls in flight through Portico. */
    public void awaitActiveCalls(int expected) throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (portico.activeCalls() != expected) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("calls in flight: " + portico.activeCalls() + ", expected " + expected);
            }
            Thread.sleep(10);
        }
    }

    public TestHttpClient connect(Transport transport) throws InterruptedException {
        return TestHttpClient.connect(transport, port());
    }

    @Override
    public void close() throws Exception {
        portico.close();
        if (backend != null) {
            backend.close();
        }
    }
}
