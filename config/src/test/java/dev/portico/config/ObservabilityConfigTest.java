package dev.portico.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** portico.access-log and portico.tracing: defaults, what is accepted, and one clear message for the rest. */
class ObservabilityConfigTest {

    @Test
    void defaultsLogNothingTrustNoProxyAndTraceNothing() throws Exception {
        final PorticoSettings settings = PorticoConfig.parse("");
        assertThat(settings.accessLog()).isEqualTo(
                new AccessLogSettings(false, AccessLogSettings.Format.TEXT, 1.0, java.util.List.of()));
        final TracingSettings tracing = settings.tracing();
        assertThat(tracing.enabled()).isFalse();
        assertThat(tracing.endpoint()).isEqualTo(URI.create("http://localhost:4317"));
        assertThat(tracing.samplingRatio()).isEqualTo(1.0);
        assertThat(tracing.serviceName()).isEqualTo("portico");
        assertThat(tracing.resourceAttributes()).isEmpty();
        assertThat(tracing.maxQueueSize()).isEqualTo(2048);
        assertThat(tracing.exportTimeout()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void trustedProxiesAreRangesAndAddressesOfBothFamilies() throws Exception {
        final AccessLogSettings log = PorticoConfig.parse(
                "portico.access-log { format = json, sample-rate = 0.25,"
                + " trusted-proxies = [\"10.0.0.0/8\", \"192.168.1.7\", \"fd00::/8\"] }").accessLog();
        assertThat(log.format()).isEqualTo(AccessLogSettings.Format.JSON);
        assertThat(log.sampleRate()).isEqualTo(0.25);
        assertThat(log.trustedProxies()).hasSize(3);
        assertThat(log.trustedProxies().get(0).contains(InetAddress.getByName("10.200.3.4"))).isTrue();
        assertThat(log.trustedProxies().get(0).contains(InetAddress.getByName("11.0.0.1"))).isFalse();
        assertThat(log.trustedProxies().get(1).contains(InetAddress.getByName("192.168.1.7"))).isTrue();
        assertThat(log.trustedProxies().get(1).contains(InetAddress.getByName("192.168.1.8"))).isFalse();
        assertThat(log.trustedProxies().get(2).contains(InetAddress.getByName("fd12::1"))).isTrue();
        assertThat(log.trustedProxies().get(2).contains(InetAddress.getByName("10.0.0.1"))).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"proxy.internal", "10.0.0.0/33", "fd00::/129", "10.0.0/8", "10.0.0.0/x", ""})
    void aTrustedProxyThatIsNotALiteralRangeIsRejected(String entry) {
        assertThatThrownBy(() -> PorticoConfig.parse(
                "portico.access-log.trusted-proxies = [\"" + entry + "\", \"10.0.0.0/8\"]"))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith("portico.access-log.trusted-proxies (config text: 1): \"" + entry);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "portico.access-log.sample-rate = 1.5     | portico.access-log.sample-rate",
            "portico.access-log.sample-rate = -0.1    | portico.access-log.sample-rate",
            "portico.access-log.format = xml          | portico.access-log.format",
            "portico.tracing.sampling-ratio = 2       | portico.tracing.sampling-ratio",
            "portico.tracing.protocol = http          | portico.tracing.protocol",
            "portico.tracing.max-queue-size = 0       | portico.tracing.max-queue-size",
            "portico.tracing.export-timeout = 0s      | portico.tracing.export-timeout",
            "portico.tracing.service-name = \"\"      | portico.tracing.service-name",
            "portico.tracing.endpoint = \"localhost:4317\"           | portico.tracing.endpoint",
            "portico.tracing.endpoint = \"http://collector\"         | portico.tracing.endpoint",
            "portico.tracing.endpoint = \"grpc://collector:4317\"    | portico.tracing.endpoint",
            "portico.tracing.endpoint = \"http://collector:4317/v1\" | portico.tracing.endpoint",
            "portico.tracing.resource-attributes.a = [1]            | portico.tracing.resource-attributes.a",
    })
    void outOfRangeValuesAreRejectedNamingTheKey(String hocon, String key) {
        // The message names the key with its origin (config text: line); an empty string has no origin line.
        assertThatThrownBy(() -> PorticoConfig.parse(hocon))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith(key + " (");
    }

    @Test
    void resourceAttributesMayBeWrittenWithDotsQuotedOrNot() throws Exception {
        final Map<String, String> attributes = PorticoConfig.parse(
                "portico.tracing.resource-attributes { deployment.environment.name = prod,"
                + " \"service.namespace\" = shop, replicas = 3 }").tracing().resourceAttributes();
        assertThat(attributes).containsExactlyInAnyOrderEntriesOf(Map.of(
                "deployment.environment.name", "prod", "service.namespace", "shop", "replicas", "3"));
    }

    @Test
    void tracingOverTlsTakesAnHttpsEndpoint() throws Exception {
        assertThat(PorticoConfig.parse("portico.tracing { enabled = true, endpoint = \"https://otel:4317\" }")
                           .tracing().endpoint()).isEqualTo(URI.create("https://otel:4317"));
    }
}
