package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portico.config.InvalidConfigException;
import dev.portico.config.PorticoConfig;
import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.EchoResponse;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.TestHttpClient;
import dev.portico.proxy.testing.TestKeys;
import dev.portico.proxy.testing.TestKeys.Issued;
import dev.portico.proxy.testing.TestKeys.KeyFormat;
import dev.portico.proxy.testing.TestKeys.KeyType;
import dev.portico.proxy.testing.Transport;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The front end serves TLS with the PEM keys people have (PROTOCOLS.md F): PKCS#8 plain and encrypted (the
 * password in the configuration or in a file), PKCS#1 RSA and SEC1 EC (after EC PARAMETERS or not, plain or
 * with OpenSSL's legacy encryption), alone or
 * in one file with the chain, in either order; chains with an intermediate. Keys and certificates are made
 * at test time, and every case makes real gRPC-Web calls over h2 and HTTP/1.1, chosen by ALPN. A key or
 * certificate Portico cannot use stops start-up with one line naming its key (exit code 2).
 */
class TlsKeysTest {
    private static final String ECHO = "/portico.demo.v1.DemoService/Echo";
    private static final String PASSWORD = "s3cret pass";

    @TempDir
    Path dir;

    static Stream<Arguments> keyForms() {
        final List<Arguments> forms = new ArrayList<>();
        for (KeyType type : KeyType.values()) {
            for (KeyFormat format : KeyFormat.values()) {
                if (format != KeyFormat.SEC1_WITH_PARAMETERS || type == KeyType.EC) {
                    forms.add(Arguments.of(type, format));
                }
            }
        }
        return forms.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("keyForms")
    void everyPemFormOfTheKeyServesGrpcWebOverH2AndHttp1(KeyType type, KeyFormat format) throws Exception {
        final Issued server = TestKeys.selfSigned("portico.test", type);
        final Path cert = write("server.pem", TestKeys.certificatesPem(server.certificate()));
        final Path key = write("server.key", TestKeys.privateKeyPem(server.keys().getPrivate(), format, PASSWORD));
        // Encrypted RSA keys take their password from the configuration, encrypted EC keys from a file.
        final String password = !format.encrypted() ? ""
                : type == KeyType.RSA ? ", private-key-password = \"" + PASSWORD + "\""
                : ", private-key-password-file = \"" + write("password.txt", PASSWORD + "\n") + "\"";

        try (PorticoFixture portico = PorticoFixture.start(tls(cert, key, password))) {
            assertEchoWorks(portico, Transport.H2_TLS, "h2");
            assertEchoWorks(portico, Transport.HTTP1_TLS, "http/1.1");
        }
    }

    @ParameterizedTest(name = "key {0} the certificates")
    @MethodSource("beforeOrAfter")
    void theKeyAndTheChainMayShareOneFileInEitherOrder(String order) throws Exception {
        final Issued server = TestKeys.selfSigned("portico.test", KeyType.EC);
        final String certificate = TestKeys.certificatesPem(server.certificate());
        final String key = TestKeys.privateKeyPem(server.keys().getPrivate(), KeyFormat.TRADITIONAL, null);
        final Path both = write("both.pem", order.equals("before") ? key + certificate : certificate + key);

        try (PorticoFixture portico = PorticoFixture.start(tls(both, both, ""))) {
            assertEchoWorks(portico, Transport.H2_TLS, "h2");
        }
    }

    static Stream<String> beforeOrAfter() {
        return Stream.of("before", "after");
    }

    @Test
    void aChainWithAnIntermediateIsSentWholeAndAClientThatTrustsOnlyTheRootAccepts() throws Exception {
        final Issued root = TestKeys.authority("Portico Test Root", KeyType.RSA);
        final Issued intermediate = TestKeys.issue("Portico Test Intermediate", KeyType.EC, root, true);
        final Issued leaf = TestKeys.issue("portico.test", KeyType.RSA, intermediate, false);
        final Path chain = write("chain.pem", TestKeys.certificatesPem(leaf.certificate(), intermediate.certificate()));
        final Path key = write("leaf.key", TestKeys.privateKeyPem(leaf.keys().getPrivate(), KeyFormat.TRADITIONAL,
                                                                  null));

        try (PorticoFixture portico = PorticoFixture.start(tls(chain, key, ""))) {
            // The JDK's client checks the whole path to the root it trusts, and the name (127.0.0.1).
            final KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            trust.setCertificateEntry("root", root.certificate());
            final TrustManagerFactory factory = TrustManagerFactory.getInstance(
                    TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trust);
            final SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            final HttpClient client = HttpClient.newBuilder().sslContext(context)
                                                .version(HttpClient.Version.HTTP_2)
                                                .connectTimeout(Duration.ofSeconds(5)).build();
            final HttpResponse<byte[]> response = client.send(
                    HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + portico.port() + ECHO))
                               .header("content-type", GrpcWeb.PROTO)
                               .timeout(Duration.ofSeconds(10))
                               .POST(HttpRequest.BodyPublishers.ofByteArray(
                                       GrpcWeb.frame(EchoRequest.newBuilder().setMessage("chained").build())))
                               .build(),
                    HttpResponse.BodyHandlers.ofByteArray());

            assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(response.sslSession().orElseThrow().getPeerCertificates()).hasSize(2);
            final GrpcWeb.Body body = GrpcWeb.parse(response.body());
            assertThat(body.trailer("grpc-status")).as(response.headers().toString()).isEqualTo("0");
            assertThat(body.messages(EchoResponse.parser()).get(0).getMessage()).isEqualTo("chained");
        }
    }

    // ---- keys and certificates Portico cannot use: one line naming the key ----

    @Test
    void aFileWithoutAPrivateKeyIsRejectedNamingTheKey() throws Exception {
        final Issued server = TestKeys.selfSigned("portico.test", KeyType.RSA);
        final Path cert = write("server.pem", TestKeys.certificatesPem(server.certificate()));
        final Path key = write("server.key", "this is not a key\n");

        assertThatThrownBy(() -> PorticoConfig.parse("portico.tls {\n" + tlsKeys(cert, key) + "\n}"))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith("portico.tls.private-key-file (config text: 3): not a PEM private key")
                .hasMessageNotContaining("\n");
    }

    @Test
    void aKeyThatIsNotValidPemIsRejectedNamingTheKey() throws Exception {
        final Issued server = TestKeys.selfSigned("portico.test", KeyType.RSA);
        final Path cert = write("server.pem", TestKeys.certificatesPem(server.certificate()));
        final Path key = write("server.key", "-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5\n"
                                             + "-----END RSA PRIVATE KEY-----\n");

        assertThatThrownBy(() -> PorticoConfig.parse("portico.tls {\n" + tlsKeys(cert, key) + "\n}"))
                .hasMessageStartingWith("portico.tls.private-key-file (config text: 3): not a PEM private key")
                .hasMessageNotContaining("\n");
    }

    @Test
    void anEncryptedKeyWithoutPasswordOrWithTheWrongOneIsRejected() throws Exception {
        final Issued server = TestKeys.selfSigned("portico.test", KeyType.EC);
        final Path cert = write("server.pem", TestKeys.certificatesPem(server.certificate()));
        final Path key = write("server.key", TestKeys.privateKeyPem(server.keys().getPrivate(),
                                                                    KeyFormat.ENCRYPTED_PKCS8, PASSWORD));

        assertThatThrownBy(() -> PorticoConfig.parse("portico.tls {\n" + tlsKeys(cert, key) + "\n}"))
                .hasMessage("portico.tls.private-key-file (config text: 3): is an encrypted private key, and no "
                            + "password is configured (private-key-password or private-key-password-file)");
        assertThatThrownBy(() -> PorticoConfig.parse("portico.tls {\n" + tlsKeys(cert, key)
                                                     + "\nprivate-key-password = \"wrong\"\n}"))
                .hasMessageStartingWith("portico.tls.private-key-file (config text: 3): cannot decrypt the "
                                        + "encrypted PKCS#8 private key (wrong password?)");
        final Path file = write("password.txt", PASSWORD);
        assertThatThrownBy(() -> PorticoConfig.parse("portico.tls {\n" + tlsKeys(cert, key)
                                                     + "\nprivate-key-password = \"" + PASSWORD + "\""
                                                     + "\nprivate-key-password-file = \"" + file + "\"\n}"))
                .hasMessageStartingWith("portico.tls.private-key-password (config text: 4): is set and so is "
                                        + "portico.tls.private-key-password-file");
    }

    @Test
    void aKeyOfAnotherCertificateIsRejected() throws Exception {
        final Issued server = TestKeys.selfSigned("portico.test", KeyType.RSA);
        final Issued other = TestKeys.selfSigned("other.test", KeyType.RSA);
        final Path cert = write("server.pem", TestKeys.certificatesPem(server.certificate()));
        final Path key = write("other.key", TestKeys.privateKeyPem(other.keys().getPrivate(), KeyFormat.PKCS8,
                                                                   null));

        assertThatThrownBy(() -> PorticoConfig.parse("portico.tls {\n" + tlsKeys(cert, key) + "\n}"))
                .hasMessage("portico.tls.private-key-file (config text: 3): does not belong to the first "
                            + "certificate (CN=portico.test, RSA key)");
    }

    @Test
    void aCertificateFileWithoutCertificatesIsRejected() throws Exception {
        final Issued server = TestKeys.selfSigned("portico.test", KeyType.RSA);
        final Path key = write("server.key", TestKeys.privateKeyPem(server.keys().getPrivate(), KeyFormat.PKCS8,
                                                                    null));

        assertThatThrownBy(() -> PorticoConfig.parse("portico.tls {\n" + tlsKeys(key, key) + "\n}"))
                .hasMessageStartingWith("portico.tls.cert-chain-file (config text: 2): not a PEM certificate: "
                                        + "no BEGIN CERTIFICATE block");
    }

    @Test
    void portico_startedWithABadKeyFileExitsWithCode2AndOneLineWithoutStackTrace() throws Exception {
        final Issued server = TestKeys.selfSigned("portico.test", KeyType.EC);
        final Path cert = write("server.pem", TestKeys.certificatesPem(server.certificate()));
        final Path key = write("server.key", "-----BEGIN EC PRIVATE KEY-----\n!!!!\n-----END EC PRIVATE KEY-----\n");
        final Path conf = write("portico.conf", "portico {\n  admin.enabled = false\n  listen.port = 0\n  tls {\n"
                                                + tlsKeys(cert, key) + "\n  }\n}\n");

        final Process process = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Portico.class.getName(), "--config", conf.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        final boolean exited = process.waitFor(60, TimeUnit.SECONDS);
        if (!exited) {
            process.destroyForcibly();
        }
        final String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(exited).as("exited").isTrue();
        assertThat(process.exitValue()).isEqualTo(2);
        assertThat(stderr.lines().toList()).as(stderr).hasSize(1);
        assertThat(stderr).startsWith("portico: invalid configuration: portico.tls.private-key-file (" + conf
                                      + ":6): not a PEM private key")
                          .doesNotContain("\tat ");
    }

    // ---- Helpers ----

    static void assertEchoWorks(PorticoFixture portico, Transport transport, String alpn)
            throws Exception {
        try (TestHttpClient client = portico.connect(transport)) {
            assertThat(client.negotiatedProtocol()).isEqualTo(alpn);
            final TestHttpClient.Response response = client.call(
                    HttpMethod.POST, ECHO, GrpcWeb.headers(GrpcWeb.PROTO),
                    GrpcWeb.frame(EchoRequest.newBuilder().setMessage("over " + alpn).build()));
            final GrpcWeb.Body body = GrpcWeb.parse(response.body());
            assertThat(body.trailer("grpc-status")).as(response.headers().toString()).isEqualTo("0");
            assertThat(body.messages(EchoResponse.parser()).get(0).getMessage()).isEqualTo("over " + alpn);
        }
    }

    /** The portico.tls section on one line, with {@code extra} keys (starting with a comma) at its end. */
    private static String tls(Path cert, Path key, String extra) {
        // Health checks have nothing to do with TLS; a slow one on a busy machine would fail calls.
        return "portico.tls { " + tlsKeys(cert, key).replace("\n", ", ") + extra + " }\n"
               + "portico.upstream.health-check.enabled = false";
    }

    /** Two lines: the certificate file, then the key file. */
    private static String tlsKeys(Path cert, Path key) {
        return "cert-chain-file = \"" + cert + "\"\nprivate-key-file = \"" + key + "\"";
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }
}
