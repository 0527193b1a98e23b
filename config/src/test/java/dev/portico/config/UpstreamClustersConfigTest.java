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

import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The upstream pool's keys: the default cluster, named clusters inheriting the shared keys of
 * {@code portico.upstream}, routes, health checks, ejection, retries, upstream TLS and Portico's own health.
 */
class UpstreamClustersConfigTest {

    @TempDir
    Path dir;

    // ---- defaults ----

    @Test
    void defaultsComeFromReferenceConf() throws Exception {
        final PorticoSettings s = PorticoConfig.parse("");

        final ClusterSettings defaults = s.upstreamPool().defaultCluster();
        assertThat(defaults.name()).isEqualTo("default");
        assertThat(defaults.endpoints()).isEmpty();
        assertThat(defaults.services()).isEmpty();
        assertThat(defaults.channel()).isEqualTo(new UpstreamChannelSettings(
                true, Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofSeconds(10), false,
                UpstreamTlsSettings.defaults()));
        assertThat(defaults.dnsRefreshInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(defaults.maxAttempts()).isEqualTo(3);
        assertThat(defaults.panicMode()).isFalse();
        assertThat(defaults.waitForReadyTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(defaults.healthCheck()).isEqualTo(new HealthCheckSettings(
                true, HealthCheckMode.AUTO, "", Duration.ofSeconds(5), Duration.ofSeconds(5), 1, 2,
                UnimplementedHealthRule.HEALTHY_IF_REACHABLE));
        assertThat(defaults.outlierDetection()).isEqualTo(new OutlierDetectionSettings(
                true, 5, Duration.ofSeconds(10), Duration.ofMinutes(5), 50));
        assertThat(s.upstreamPool().named()).isEmpty();
        assertThat(s.upstreamPool().isEmpty()).as("no endpoints anywhere: demo mode").isTrue();
        assertThat(s.health()).isEqualTo(new HealthSettings(true));
    }

    @Test
    void topLevelEndpointsAreTheDefaultCluster() throws Exception {
        final PorticoSettings s = PorticoConfig.parse(
                "portico.upstream { endpoints = [\"a:1\", \"b.example:2\"], max-attempts = 1 }");

        assertThat(s.upstreamPool().clusters()).singleElement().satisfies(c -> {
            assertThat(c.name()).isEqualTo("default");
            assertThat(c.endpoints()).containsExactly(new HostAndPort("a", 1), new HostAndPort("b.example", 2));
            assertThat(c.maxAttempts()).isEqualTo(1);
        });
        assertThat(s.upstream().endpoints()).as("the top-level record still has them")
                .containsExactly(new HostAndPort("a", 1), new HostAndPort("b.example", 2));
    }

    // ---- named clusters ----

    @Test
    void namedClustersInheritTheSharedKeysAndOverrideTheirOwn() throws Exception {
        final PorticoSettings s = PorticoConfig.parse("""
                portico.upstream {
                  endpoints = ["main:1"]
                  health-check { interval = 2s, service = "shared" }
                  panic-mode = true
                  clusters {
                    users { endpoints = ["u1:1", "u2:1"], services = ["acme.users.v1.*"] }
                    orders {
                      endpoints = ["o:2"]
                      services = ["acme.orders.v1.OrderService", "acme.billing.*"]
                      health-check.service = "acme.orders.v1.OrderService"
                      outlier-detection.enabled = false
                      plaintext = false
                    }
                  }
                }
                """);

        final List<ClusterSettings> clusters = s.upstreamPool().clusters();
        assertThat(clusters).extracting(ClusterSettings::name).containsExactly("default", "orders", "users");
        final ClusterSettings orders = clusters.get(1);
        assertThat(orders.endpoints()).containsExactly(new HostAndPort("o", 2));
        assertThat(orders.services()).containsExactly("acme.orders.v1.OrderService", "acme.billing.*");
        assertThat(orders.healthCheck().service()).isEqualTo("acme.orders.v1.OrderService");
        assertThat(orders.healthCheck().interval()).as("inherited").isEqualTo(Duration.ofSeconds(2));
        assertThat(orders.outlierDetection().enabled()).isFalse();
        assertThat(orders.channel().plaintext()).isFalse();
        assertThat(orders.panicMode()).as("inherited").isTrue();
        final ClusterSettings users = clusters.get(2);
        assertThat(users.endpoints()).as("endpoints are never inherited")
                .containsExactly(new HostAndPort("u1", 1), new HostAndPort("u2", 1));
        assertThat(users.healthCheck().service()).isEqualTo("shared");
        assertThat(users.outlierDetection().enabled()).isTrue();
        assertThat(clusters.get(0).healthCheck().service()).isEqualTo("shared");
    }

    @Test
    void aClusterNamedDefaultIsTheDefaultCluster() throws Exception {
        final PorticoSettings s = PorticoConfig.parse("""
                portico.upstream.clusters {
                  default { endpoints = ["d:1"], max-attempts = 2 }
                  users { endpoints = ["u:1"], services = ["acme.users.v1.Users"] }
                }
                """);

        assertThat(s.upstreamPool().defaultCluster().endpoints()).containsExactly(new HostAndPort("d", 1));
        assertThat(s.upstreamPool().defaultCluster().maxAttempts()).isEqualTo(2);
        assertThat(s.upstreamPool().named()).extracting(ClusterSettings::name).containsExactly("users");
    }

    @Test
    void withoutADefaultClusterOnlyNamedOnesTakeCalls() throws Exception {
        final PorticoSettings s = PorticoConfig.parse(
                "portico.upstream.clusters.users { endpoints = [\"u:1\"], services = [\"acme.users.v1.*\"] }");

        assertThat(s.upstreamPool().clusters()).extracting(ClusterSettings::name).containsExactly("users");
        assertThat(s.upstreamPool().isEmpty()).isFalse();
    }

    @Test
    void systemPropertiesSetClusterKeys() throws Exception {
        final Properties props = new Properties();
        props.setProperty("portico.upstream.clusters.users.endpoints", "u1:1,u2:2");
        props.setProperty("portico.upstream.clusters.users.services", "acme.users.v1.*");
        props.setProperty("portico.upstream.clusters.users.health-check.unhealthy-threshold", "4");

        final PorticoSettings s = PorticoConfig.load(Optional.empty(), Map.of(), props);

        final ClusterSettings users = s.upstreamPool().named().get(0);
        assertThat(users.endpoints()).containsExactly(new HostAndPort("u1", 1), new HostAndPort("u2", 2));
        assertThat(users.services()).containsExactly("acme.users.v1.*");
        assertThat(users.healthCheck().unhealthyThreshold()).isEqualTo(4);
    }

    @Test
    void demoSettingsKeepOnlyThePlaintextDefaultCluster() throws Exception {
        final PorticoSettings s = PorticoConfig.parse("""
                portico.upstream {
                  plaintext = false
                  clusters.users { endpoints = ["u:1"], services = ["acme.users.v1.*"] }
                }
                """);

        final UpstreamPoolSettings demo = s.upstreamPool().demo(new HostAndPort("127.0.0.1", 5000));

        assertThat(demo.clusters()).singleElement().satisfies(c -> {
            assertThat(c.endpoints()).containsExactly(new HostAndPort("127.0.0.1", 5000));
            assertThat(c.channel().plaintext()).isTrue();
        });
    }

    @Test
    void healthCheckEnumsAreWrittenInLowercaseWithDashes() throws Exception {
        final PorticoSettings s = PorticoConfig.parse(
                "portico.upstream.health-check { mode = check, unimplemented = unhealthy }");

        assertThat(s.upstreamPool().defaultCluster().healthCheck().mode()).isEqualTo(HealthCheckMode.CHECK);
        assertThat(s.upstreamPool().defaultCluster().healthCheck().unimplemented())
                .isEqualTo(UnimplementedHealthRule.UNHEALTHY);
    }

    @Test
    void upstreamTlsFilesAndAuthorityAreRead() throws Exception {
        final Path ca = SelfSignedPem.write(dir, "ca").certificate();
        final SelfSignedPem client = SelfSignedPem.write(dir, "client");
        final Path cert = client.certificate();
        final Path key = client.privateKey();

        final PorticoSettings s = PorticoConfig.parse("portico.upstream { plaintext = false, tls {"
                + " trust-cert-collection-file = \"" + ca + "\", cert-chain-file = \"" + cert + "\","
                + " private-key-file = \"" + key + "\", authority = \"api.internal\" } }");

        final UpstreamTlsSettings tls = s.upstreamPool().defaultCluster().channel().tls();
        assertThat(tls.trustCertCollectionFile()).contains(ca);
        assertThat(tls.mutual()).isTrue();
        assertThat(tls.authority()).contains("api.internal");
    }

    @Test
    void portico_sOwnGrpcHealthServiceCanBeTurnedOff() throws Exception {
        assertThat(PorticoConfig.parse("portico.health.grpc-health-service = false").health().grpcHealthService())
                .isFalse();
    }

    // ---- validation ----

    @Test
    void unknownKeyInAClusterNamesTheClusterPathAndSuggestsTheClusterKey() {
        assertRejected("portico.upstream.clusters.users {\n endpoints = [\"u:1\"], services = [\"a.B\"]\n"
                       + " health-check.intervall = 1s\n}")
                .hasMessage("portico.upstream.clusters.users.health-check.intervall (config text: 3): unknown key; "
                            + "did you mean portico.upstream.clusters.users.health-check.interval?");
    }

    @Test
    void clustersCannotNest() {
        assertRejected("portico.upstream.clusters.a { endpoints = [\"u:1\"], services = [\"a.B\"], clusters {} }")
                .hasMessageStartingWith("portico.upstream.clusters.a.clusters (config text: 1): "
                                        + "clusters cannot be nested");
    }

    @Test
    void clustersMustBeAnObjectOfObjects() {
        assertRejected("portico.upstream.clusters = [\"a:1\"]")
                .hasMessageStartingWith("portico.upstream.clusters (config text: 1): must be an object of named");
        assertRejected("portico.upstream.clusters.users = \"a:1\"")
                .hasMessageStartingWith("portico.upstream.clusters.users (config text: 1): must be an object");
    }

    @Test
    void aClusterNeedsEndpointsAndServices() {
        assertRejected("portico.upstream.clusters.users { services = [\"a.B\"] }")
                .hasMessage("portico.upstream.clusters.users (config text: 1): a cluster needs endpoints = "
                            + "[\"host:port\", ...]");
        assertRejected("portico.upstream.clusters.users { endpoints = [], services = [\"a.B\"] }")
                .hasMessageContaining("portico.upstream.clusters.users.endpoints (config text: 1): "
                                      + "a cluster needs at least one host:port");
        assertRejected("portico.upstream.clusters.users { endpoints = [\"u:1\"] }")
                .hasMessageStartingWith("portico.upstream.clusters.users (config text: 1): a cluster needs services");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "acme.users.v1.Users/Get | acme.users.v1.Users/Get",
            "*                       | *",
            "acme.*.v1               | acme.*.v1",
            ".acme                   | .acme",
    })
    void aRouteIsAServiceNameOrAPackagePrefix(String route, String shown) {
        assertRejected("portico.upstream.clusters.users { endpoints = [\"u:1\"], services = [\"" + route + "\"] }")
                .hasMessage("portico.upstream.clusters.users.services (config text: 1): each entry must be a "
                            + "service name (pkg.Service) or a package prefix (pkg.*), got \"" + shown + "\"");
    }

    @Test
    void aServiceIsRoutedToOneClusterOnly() {
        assertRejected("""
                portico.upstream.clusters {
                  a { endpoints = ["a:1"], services = ["acme.*"] }
                  b { endpoints = ["b:1"], services = ["acme.*"] }
                }
                """)
                .hasMessage("portico.upstream.clusters.b.services (config text: 3): \"acme.*\" is already "
                            + "routed to cluster a");
    }

    @Test
    void theDefaultClusterIsGivenOnce() {
        assertRejected("portico.upstream { endpoints = [\"a:1\"], clusters.default.endpoints = [\"b:1\"] }")
                .hasMessageStartingWith("portico.upstream.clusters.default (config text: 1): the default cluster "
                                        + "is already given by portico.upstream.endpoints");
    }

    @Test
    void clusterNamesArePlain() {
        assertRejected("portico.upstream.clusters { \"a b\" { endpoints = [\"a:1\"], services = [\"a.B\"] } }")
                .hasMessageStartingWith("portico.upstream.clusters.\"a b\" (config text: 1): a cluster name is");
    }

    @Test
    void anInvalidClusterValueNamesTheClusterKey() {
        assertRejected("portico.upstream.clusters.users {\n endpoints = [\"u:1\"], services = [\"a.B\"]\n"
                       + " max-attempts = 11\n}")
                .hasMessage("portico.upstream.clusters.users.max-attempts (config text: 3): must be between 1 and "
                            + "10, got 11");
    }

    @Test
    void healthCheckEnumsListTheirValues() {
        assertRejected("portico.upstream.health-check.mode = poll")
                .hasMessage("portico.upstream.health-check.mode (config text: 1): must be one of auto, check, "
                            + "got \"poll\"");
        assertRejected("portico.upstream.health-check.unimplemented = healthy")
                .hasMessage("portico.upstream.health-check.unimplemented (config text: 1): must be one of "
                            + "healthy-if-reachable, unhealthy, got \"healthy\"");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "health-check.healthy-threshold = 0      | must be between 1 and 100, got 0",
            "health-check.unhealthy-threshold = 101  | must be between 1 and 100, got 101",
            "health-check.interval = 0               | must be a positive duration such as 5s or 500ms, got 0",
            "health-check.timeout = -1s              | must be a positive duration such as 5s or 500ms, got \"-1s\"",
            "outlier-detection.consecutive-failures = 0 | must be between 1 and 1000, got 0",
            "outlier-detection.max-ejection-percent = 101 | must be between 0 and 100, got 101",
            "dns-refresh-interval = 0                | must be a positive duration such as 5s or 500ms, got 0",
            "keep-alive-timeout = 0                  | must be a positive duration such as 5s or 500ms, got 0",
            "keep-alive-time = 9s                    | must be at least 10s (grpc-java sends keep-alive PINGs at most "
            + "every 10s, and default gRPC servers permit one per 5m), got \"9s\"",
            "keep-alive-without-calls = 1m           | must be true or false, got \"1m\"",
            "max-attempts = 0                        | must be between 1 and 10, got 0",
            "wait-for-ready-timeout = -1s            | must be a non-negative duration such as 5s or 500ms, got \"-1s\"",
            "panic-mode = sometimes                  | must be true or false, got \"sometimes\"",
    })
    void outOfRangeValuesAreRejected(String setting, String problem) {
        final String key = setting.substring(0, setting.indexOf('=')).strip();
        assertRejected("portico.upstream." + setting)
                .hasMessage("portico.upstream." + key + " (config text: 1): " + problem);
    }

    @Test
    void maxEjectionTimeIsAtLeastTheBase() {
        assertRejected("portico.upstream.outlier-detection { base-ejection-time = 1m, max-ejection-time = 30s }")
                .hasMessage("portico.upstream.outlier-detection.max-ejection-time (config text: 1): must be at "
                            + "least portico.upstream.outlier-detection.base-ejection-time (PT1M), got PT30S");
    }

    @Test
    void aClientCertificateNeedsItsKey() throws IOException {
        final Path cert = Files.writeString(dir.resolve("client.pem"), "cert");
        assertRejected("portico.upstream.tls.cert-chain-file = \"" + cert + "\"")
                .hasMessage("portico.upstream.tls.cert-chain-file (config text: 1): is set but "
                            + "portico.upstream.tls.private-key-file is not; set both for mutual TLS, or neither");
    }

    @Test
    void aMissingTrustFileIsRejected() {
        final Path missing = dir.resolve("missing.pem");
        assertRejected("portico.upstream.tls.trust-cert-collection-file = \"" + missing + "\"")
                .hasMessageStartingWith("portico.upstream.tls.trust-cert-collection-file (config text: 1): file ")
                .hasMessageEndingWith("does not exist or is not a file");
    }

    @Test
    void anEmptyAuthorityIsRejected() {
        assertRejected("portico.upstream.tls.authority = \"\"")
                .hasMessage("portico.upstream.tls.authority (config text: 1): must not be empty; "
                            + "null leaves it unset");
    }

    @Test
    void servicesAreOnlyAClusterKey() {
        assertRejected("portico.upstream.services = [\"a.B\"]")
                .hasMessageStartingWith("portico.upstream.services (config text: 1): unknown key");
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertRejected(String hocon) {
        return assertThatThrownBy(() -> PorticoConfig.parse(hocon)).isInstanceOf(InvalidConfigException.class);
    }
}
