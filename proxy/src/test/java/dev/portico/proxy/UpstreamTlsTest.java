package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.proxy.testing.PoolPortico;
import dev.portico.proxy.testing.PoolPortico.Outcome;
import dev.portico.proxy.testing.TestBackend;
import dev.portico.proxy.testing.TestKeys;
import dev.portico.proxy.testing.TestKeys.KeyFormat;
import dev.portico.proxy.testing.TestKeys.KeyType;
import io.grpc.Status;
import io.grpc.TlsServerCredentials;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * TLS from Portico to its upstream: the upstream's certificate checked against a configured CA file and
 * authority, and mutual TLS with a client certificate whose key is in any PEM form (PKCS#1, SEC1, encrypted
 * PKCS#8); a certificate Portico cannot trust fails the call.
 */
class UpstreamTlsTest {
    private static final String ECHO = "acme.echo.v1.Echo/Say";

    @SuppressWarnings("deprecation") // Netty's test certificates; fine for a test
    private static SelfSignedCertificate server;
    @SuppressWarnings("deprecation")
    private static SelfSignedCertificate client;

    private final List<AutoCloseable> resources = new ArrayList<>();

    @TempDir
    Path dir;

    @BeforeAll
    @SuppressWarnings("deprecation")
    static void certificates() throws Exception {
        server = new SelfSignedCertificate("upstream.test");
        client = new SelfSignedCertificate("portico.test");
    }

    @AfterAll
    @SuppressWarnings("deprecation")
    static void deleteCertificates() {
        server.delete();
        client.delete();
    }

    @AfterEach
    void closeAll() throws Exception {
        Collections.reverse(resources);
        for (AutoCloseable resource : resources) {
            resource.close();
        }
    }

    private <T extends AutoCloseable> T keep(T resource) {
        resources.add(resource);
        return resource;
    }

    @Test
    @SuppressWarnings("deprecation")
    void theUpstreamCertificateIsCheckedAgainstTheConfiguredCaAndAuthority() throws Exception {
        final TestBackend backend = keep(TestBackend.startTls(
                "tls", TlsServerCredentials.create(server.certificate(), server.privateKey())));
        final PoolPortico portico = keep(PoolPortico.start(
                "portico.upstream { endpoints = [\"" + backend.endpoint() + "\"], plaintext = false\n"
                + " tls { trust-cert-collection-file = \"" + server.certificate() + "\""
                + ", authority = \"upstream.test\" } }"));

        portico.awaitAllHealthy();
        final Outcome outcome = portico.call(ECHO);

        assertThat(outcome.status().getCode()).isEqualTo(Status.Code.OK);
        assertThat(outcome.backend()).isEqualTo("tls");
    }

    @Test
    @SuppressWarnings("deprecation")
    void mutualTlsPresentsTheClientCertificate() throws Exception {
        final TestBackend backend = keep(TestBackend.startTls("mtls", TlsServerCredentials.newBuilder()
                .keyManager(server.certificate(), server.privateKey())
                .trustManager(client.certificate())
                .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
                .build()));
        final PoolPortico portico = keep(PoolPortico.start(
                "portico.upstream { endpoints = [\"" + backend.endpoint() + "\"], plaintext = false\n"
                + " tls { trust-cert-collection-file = \"" + server.certificate() + "\""
                + ", authority = \"upstream.test\", cert-chain-file = \"" + client.certificate() + "\""
                + ", private-key-file = \"" + client.privateKey() + "\" } }"));

        portico.awaitAllHealthy();

        assertThat(portico.call(ECHO).backend()).isEqualTo("mtls");
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"RSA, TRADITIONAL", "EC, TRADITIONAL", "EC, SEC1_WITH_PARAMETERS", "EC, ENCRYPTED_PKCS8"})
    @SuppressWarnings("deprecation")
    void mutualTlsTakesTheClientKeyInEveryPemForm(KeyType type, KeyFormat format) throws Exception {
        final TestKeys.Issued portico = TestKeys.selfSigned("portico.test", type);
        final Path cert = Files.writeString(dir.resolve("client.pem"),
                                            TestKeys.certificatesPem(portico.certificate()));
        final Path key = Files.writeString(dir.resolve("client.key"), TestKeys.privateKeyPem(
                portico.keys().getPrivate(), format, "client password"));
        final Path password = Files.writeString(dir.resolve("password"), "client password\n");
        final TestBackend backend = keep(TestBackend.startTls("mtls", TlsServerCredentials.newBuilder()
                .keyManager(server.certificate(), server.privateKey())
                .trustManager(cert.toFile())
                .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
                .build()));
        final PoolPortico pool = keep(PoolPortico.start(
                "portico.upstream { endpoints = [\"" + backend.endpoint() + "\"], plaintext = false\n"
                + " tls { trust-cert-collection-file = \"" + server.certificate() + "\""
                + ", authority = \"upstream.test\", cert-chain-file = \"" + cert + "\""
                + ", private-key-file = \"" + key + "\", private-key-password-file = \"" + password + "\" } }"));

        pool.awaitAllHealthy();

        assertThat(pool.call(ECHO).backend()).isEqualTo("mtls");
    }

    @Test
    @SuppressWarnings("deprecation")
    void anUpstreamCertificatePorticoCannotTrustFailsTheCall() throws Exception {
        final TestBackend backend = keep(TestBackend.startTls(
                "untrusted", TlsServerCredentials.create(server.certificate(), server.privateKey())));
        // The JVM's trust store does not know the self-signed certificate.
        final PoolPortico portico = keep(PoolPortico.start(
                "portico.upstream { endpoints = [\"" + backend.endpoint() + "\"], plaintext = false\n"
                + " tls.authority = \"upstream.test\", health-check.enabled = false }"));

        final Outcome outcome = portico.call(ECHO);

        assertThat(outcome.status().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(backend.calls()).isZero();
    }
}
