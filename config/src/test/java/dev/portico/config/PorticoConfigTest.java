package dev.portico.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where values come from: reference.conf, the file, the environment and system properties. */
class PorticoConfigTest {

    @TempDir
    Path dir;

    @Test
    void defaultsComeFromReferenceConf() throws Exception {
        final PorticoSettings s = PorticoConfig.parse("");

        assertThat(s.listen()).isEqualTo(new ListenSettings(
                "0.0.0.0", 8080, Duration.ofSeconds(10),
                new TimeoutSettings(Duration.ofSeconds(60), Duration.ofSeconds(75), Duration.ofSeconds(60),
                                    Duration.ofSeconds(120)),
                new ConnectionLimitSettings(10000, 0)));
        assertThat(s.tls().enabled()).isFalse();
        assertThat(s.tls()).isEqualTo(TlsSettings.disabled());
        assertThat(s.upstream()).isEqualTo(
                new UpstreamSettings(List.of(), true, Duration.ofSeconds(5), Duration.ofMinutes(5)));
        assertThat(s.cors()).isEqualTo(
                new CorsSettings(List.of("*"), List.of("*"), List.of(), false, Duration.ofHours(2), false));
        assertThat(s.limits()).isEqualTo(new LimitSettings(4 << 20, 8 << 10, 8 << 10, 1000, 4 << 20, 10_000,
                new ResetFloodSettings(200, Duration.ofSeconds(30), Duration.ofSeconds(60), 100_000)));
        assertThat(s.deadlines()).isEqualTo(new DeadlineSettings(Duration.ZERO, Duration.ZERO, false));
        assertThat(s.flowControl()).isEqualTo(new FlowControlSettings(32 << 10, 64 << 10, 1 << 20, 16 << 20));
        assertThat(s.admin()).isEqualTo(new AdminSettings(true, "0.0.0.0", 9090,
                                                          new ExplorerSettings(false, Optional.empty())));
        assertThat(s.schema()).isEqualTo(new SchemaSettings(true, Duration.ofMinutes(5), Duration.ofSeconds(30),
                                                            1000, List.of()));
        assertThat(s.connect()).isEqualTo(new ConnectSettings(false, false, true));
        assertThat(s.compression()).isEqualTo(new CompressionSettings(1024));
        assertThat(s.demo()).isEqualTo(new DemoSettings(8081));
        assertThat(s.metrics().maxMethods()).isEqualTo(1000);
        assertThat(s.metrics().latencyBuckets()).hasSize(15)
                .startsWith(Duration.ofMillis(1), Duration.ofNanos(2_500_000))
                .endsWith(Duration.ofSeconds(30), Duration.ofSeconds(60));
    }

    @Test
    void latencyBucketsAndTheMethodCapAreConfigurable() throws Exception {
        final PorticoSettings s = PorticoConfig.parse(
                "portico.metrics { latency-buckets = [5ms, 0.5s, 2s], max-methods = 3 }");

        assertThat(s.metrics()).isEqualTo(new MetricsSettings(
                List.of(Duration.ofMillis(5), Duration.ofMillis(500), Duration.ofSeconds(2)), 3));
    }

    @Test
    void loadWithoutFileEnvOrPropertiesGivesTheDefaults() throws Exception {
        assertThat(PorticoConfig.load(Optional.empty(), Map.of(), new Properties()))
                .isEqualTo(PorticoConfig.parse(""));
    }

    @Test
    void fileOverridesOnlyTheKeysItSets() throws Exception {
        final Path apiSet = write("api.binpb", "");
        write("more.binpb", "");
        final Path file = write("portico.conf", """
                portico {
                  listen { host = "127.0.0.1", port = 0, shutdown-grace-period = 500ms }
                  upstream {
                    endpoints = ["backend-a:50051", "[::1]:50052"]
                    plaintext = false
                  }
                  cors {
                    allowed-origins = ["https://app.example.com", "https://*.example.org:8443"]
                    allowed-headers = [X-Tenant-Id]
                    exposed-headers = [x-request-id]
                    allow-credentials = true
                    max-age = 10m
                    allow-private-network = true
                  }
                  limits.max-message-bytes = 1 MiB
                  limits.max-concurrent-streams = 64
                  limits.reset-flood { max-resets = 50, window = 10s, penalty = 0, max-tracked-clients = 7 }
                  deadlines { max = 30s, default = 5s, ignore-client-timeout = true }
                  flow-control { write-buffer-low-water-mark = 8 KiB, write-buffer-high-water-mark = 16 KiB }
                  admin {
                    enabled = false, port = 0
                    explorer { enabled = true, front-url = "https://api.example.com:8443/rpc/" }
                  }
                  schema {
                    reflection = false
                    refresh-interval = 1h
                    missing-retry-interval = 5s
                    max-services = 10
                    descriptor-sets = ["%s", "%s"]
                  }
                  connect {
                    require-protocol-version = true
                    allow-get-without-schema = true
                    reject-unknown-json-fields = false
                  }
                  compression.response-min-bytes = 0
                }
                """.formatted(apiSet, dir.resolve("more.binpb")));

        final PorticoSettings s = load(file, Map.of(), new Properties());

        assertThat(s.listen().host()).isEqualTo("127.0.0.1");
        assertThat(s.listen().port()).isZero();
        assertThat(s.listen().shutdownGracePeriod()).isEqualTo(Duration.ofMillis(500));
        assertThat(s.upstream().endpoints())
                .containsExactly(new HostAndPort("backend-a", 50051), new HostAndPort("::1", 50052));
        assertThat(s.upstream().plaintext()).isFalse();
        assertThat(s.upstream().connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(s.cors()).isEqualTo(new CorsSettings(
                List.of("https://app.example.com", "https://*.example.org:8443"), List.of("x-tenant-id"),
                List.of("x-request-id"), true, Duration.ofMinutes(10), true));
        assertThat(s.limits().maxMessageBytes()).isEqualTo(1 << 20);
        assertThat(s.limits().maxConcurrentStreams()).isEqualTo(64);
        assertThat(s.limits().maxRequestBodyBytes()).isEqualTo(4 << 20);
        assertThat(s.limits().resetFlood())
                .isEqualTo(new ResetFloodSettings(50, Duration.ofSeconds(10), Duration.ZERO, 7));
        assertThat(s.deadlines())
                .isEqualTo(new DeadlineSettings(Duration.ofSeconds(30), Duration.ofSeconds(5), true));
        assertThat(s.flowControl()).isEqualTo(new FlowControlSettings(8 << 10, 16 << 10, 1 << 20, 16 << 20));
        assertThat(s.admin()).isEqualTo(new AdminSettings(false, "0.0.0.0", 0, new ExplorerSettings(
                true, Optional.of("https://api.example.com:8443/rpc"))));
        assertThat(s.schema()).isEqualTo(new SchemaSettings(false, Duration.ofHours(1), Duration.ofSeconds(5),
                                                            10, List.of(apiSet, dir.resolve("more.binpb"))));
        assertThat(s.connect()).isEqualTo(new ConnectSettings(true, true, false));
        assertThat(s.compression()).isEqualTo(new CompressionSettings(0));
    }

    @Test
    void relativeDescriptorSetPathStaysRelative() throws Exception {
        // The working directory of the test JVM is the module directory, which has a pom.xml.
        final SchemaSettings schema = PorticoConfig.parse("portico.schema.descriptor-sets = [pom.xml]")
                                                   .schema();

        assertThat(schema.descriptorSets()).containsExactly(Path.of("pom.xml"));
    }

    @Test
    void tlsIsEnabledWhenBothFilesAreSet() throws Exception {
        final SelfSignedPem pem = SelfSignedPem.write(dir, "server");
        final Path cert = pem.certificate();
        final Path key = pem.privateKey();

        final TlsSettings tls = PorticoConfig.parse("portico.tls { cert-chain-file = \"" + cert
                                                    + "\", private-key-file = \"" + key + "\" }").tls();

        assertThat(tls.enabled()).isTrue();
        assertThat(tls.certChainFile()).contains(cert);
        assertThat(tls.privateKeyFile()).contains(key);
        assertThat(tls.keyMaterial().orElseThrow().certificateChain()).hasSize(1);
    }

    @Test
    void tlsProviderIsOneOfAutoOpensslJdk() throws Exception {
        assertThat(PorticoConfig.parse("").tls().provider()).isEqualTo(TlsProvider.AUTO);
        assertThat(PorticoConfig.parse("portico.tls.provider = jdk").tls().provider()).isEqualTo(TlsProvider.JDK);
        assertThatThrownBy(() -> PorticoConfig.parse("portico.tls.provider = boring"))
                .hasMessage("portico.tls.provider (config text: 1): must be one of auto, openssl, jdk, got \"boring\"");
    }

    @Test
    void aListMayBeWrittenAsOneCommaSeparatedString() throws Exception {
        final PorticoSettings s = PorticoConfig.parse("portico.upstream.endpoints = \"a:1, b:2,,\"");

        assertThat(s.upstream().endpoints()).containsExactly(new HostAndPort("a", 1), new HostAndPort("b", 2));
    }

    @Test
    void systemPropertyOverridesTheFile() throws Exception {
        final Path file = write("portico.conf", "portico.listen.port = 7000\n");

        final PorticoSettings s = load(file, Map.of(), properties("portico.listen.port", "9000"));

        assertThat(s.listen().port()).isEqualTo(9000);
    }

    @Test
    void systemPropertySetsAListEitherCommaSeparatedOrIndexed() throws Exception {
        final Properties props = properties("portico.upstream.endpoints", "a:1,b:2");
        props.setProperty("portico.cors.allowed-origins.0", "https://a.example");
        props.setProperty("portico.cors.allowed-origins.1", "https://b.example");

        final PorticoSettings s = PorticoConfig.load(Optional.empty(), Map.of(), props);

        assertThat(s.upstream().endpoints()).containsExactly(new HostAndPort("a", 1), new HostAndPort("b", 2));
        assertThat(s.cors().allowedOrigins()).containsExactly("https://a.example", "https://b.example");
    }

    @Test
    void systemPropertiesOutsidePorticoAreIgnored() throws Exception {
        final Properties props = properties("java.version", "17");
        props.setProperty("a", "1");
        props.setProperty("a.b", "2");

        assertThat(PorticoConfig.load(Optional.empty(), Map.of(), props)).isEqualTo(PorticoConfig.parse(""));
    }

    @Test
    void environmentOverridesTheFileAndSystemPropertiesOverrideTheEnvironment() throws Exception {
        final Path file = write("portico.conf", "portico.listen { host = file, port = 7000 }\n");
        final Map<String, String> env = Map.of("PORTICO_LISTEN_HOST", "env", "PORTICO_LISTEN_PORT", "8000");

        final PorticoSettings s = load(file, env, properties("portico.listen.port", "9000"));

        assertThat(s.listen().host()).isEqualTo("env");
        assertThat(s.listen().port()).isEqualTo(9000);
    }

    @Test
    void environmentSetsEachCommonKey() throws Exception {
        final SelfSignedPem pem = SelfSignedPem.write(dir, "server");
        final Path cert = pem.certificate();
        final Path key = pem.privateKey();
        final Path set1 = write("a.binpb", "");
        final Path set2 = write("b.binpb", "");
        final Map<String, String> env = Map.of(
                "PORTICO_LISTEN_HOST", "127.0.0.1",
                "PORTICO_LISTEN_PORT", "8443",
                "PORTICO_UPSTREAM_ENDPOINTS", "a:50051, [::1]:50052",
                "PORTICO_CORS_ALLOWED_ORIGINS", "https://app.example.com,https://*.example.org",
                "PORTICO_TLS_CERT_CHAIN_FILE", cert.toString(),
                "PORTICO_TLS_PRIVATE_KEY_FILE", key.toString(),
                "PORTICO_ADMIN_PORT", "9191",
                "PORTICO_DEMO_PAGE_PORT", "8181",
                "PORTICO_SCHEMA_DESCRIPTOR_SETS", set1 + "," + set2);

        final PorticoSettings s = PorticoConfig.load(Optional.empty(), env, new Properties());

        assertThat(s.listen().host()).isEqualTo("127.0.0.1");
        assertThat(s.listen().port()).isEqualTo(8443);
        assertThat(s.upstream().endpoints())
                .containsExactly(new HostAndPort("a", 50051), new HostAndPort("::1", 50052));
        assertThat(s.cors().allowedOrigins())
                .containsExactly("https://app.example.com", "https://*.example.org");
        assertThat(s.tls().certChainFile()).contains(cert);
        assertThat(s.tls().privateKeyFile()).contains(key);
        assertThat(s.admin().port()).isEqualTo(9191);
        assertThat(s.demo().pagePort()).isEqualTo(8181);
        assertThat(s.schema().descriptorSets()).containsExactly(set1, set2);
    }

    @Test
    void emptyListEnvironmentVariableMeansAnEmptyList() throws Exception {
        final Path file = write("portico.conf", "portico.upstream.endpoints = [\"a:1\"]\n");

        final PorticoSettings s = load(file, Map.of("PORTICO_UPSTREAM_ENDPOINTS", ""), new Properties());

        assertThat(s.upstream().endpoints()).isEmpty();
    }

    @Test
    void otherEnvironmentVariablesAreIgnored() throws Exception {
        final Map<String, String> env = Map.of("PORTICO_LOG_LEVEL", "debug", "PORTICO_LIMITS_MAX_MESSAGE_BYTES",
                                               "nonsense", "PATH", "/usr/bin");

        assertThat(PorticoConfig.load(Optional.empty(), env, new Properties()))
                .isEqualTo(PorticoConfig.parse(""));
    }

    @Test
    void fileSubstitutionsReadTheInjectedEnvironment() throws Exception {
        final Path file = write("portico.conf", """
                portico.admin.port = 9999
                portico.admin.port = ${?METRICS_PORT}
                portico.listen.port = 1234
                portico.listen.port = ${?UNSET_IN_THIS_TEST}
                """);

        final PorticoSettings s = load(file, Map.of("METRICS_PORT", "9500"), new Properties());

        assertThat(s.admin().port()).isEqualTo(9500);
        assertThat(s.listen().port()).isEqualTo(1234);
    }

    @Test
    void badEnvironmentValueNamesTheVariable() throws Exception {
        assertThatThrownBy(() -> PorticoConfig.load(Optional.empty(), Map.of("PORTICO_LISTEN_PORT", "70000"),
                                                    new Properties()))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessage("portico.listen.port (environment variable PORTICO_LISTEN_PORT): "
                            + "must be between 0 and 65535, got 70000");
        assertThatThrownBy(() -> PorticoConfig.load(Optional.empty(), Map.of("PORTICO_ADMIN_PORT", "abc"),
                                                    new Properties()))
                .hasMessage("portico.admin.port (environment variable PORTICO_ADMIN_PORT): "
                            + "must be an integer, got \"abc\"");
        assertThatThrownBy(() -> PorticoConfig.load(Optional.empty(), Map.of("PORTICO_UPSTREAM_ENDPOINTS",
                                                                             "a:1,b"), new Properties()))
                .hasMessageStartingWith("portico.upstream.endpoints (environment variable "
                                        + "PORTICO_UPSTREAM_ENDPOINTS): each endpoint must be host:port");
    }

    @Test
    void badSystemPropertySaysItCameFromSystemProperties() {
        assertThatThrownBy(() -> PorticoConfig.load(Optional.empty(), Map.of(),
                                                    properties("portico.limits.max-message-bytes", "0")))
                .hasMessageStartingWith("portico.limits.max-message-bytes (system properties): "
                                        + "must be between");
    }

    @Test
    void missingConfigFileIsRejected() {
        final Path missing = dir.resolve("nope.conf");

        assertThatThrownBy(() -> load(missing, Map.of(), new Properties()))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining(missing.toString());
    }

    @Test
    void syntaxErrorIsReportedWithItsLine() throws Exception {
        final Path file = write("portico.conf", "portico {\n  listen {\n    port = 1\n");

        assertThatThrownBy(() -> load(file, Map.of(), new Properties()))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageContaining("portico.conf");
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    private static PorticoSettings load(Path file, Map<String, String> env, Properties props)
            throws InvalidConfigException {
        return PorticoConfig.load(Optional.of(file), env, props);
    }

    private static Properties properties(String key, String value) {
        final Properties props = new Properties();
        props.setProperty(key, value);
        return props;
    }
}
