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
import org.junit.jupiter.params.provider.ValueSource;

/** Every way start-up can refuse a configuration: one message, naming the key and where it was set. */
class PorticoConfigValidationTest {

    @TempDir
    Path dir;

    // ---- unknown keys ----

    @Test
    void unknownKeyIsRejectedWithItsPathAndTheClosestKnownKey() {
        assertRejected("portico.listen.prot = 1")
                .hasMessage("portico.listen.prot (config text: 1): unknown key; "
                            + "did you mean portico.listen.port?");
    }

    @Test
    void keyInTheWrongSectionSuggestsTheRightOne() {
        assertRejected("portico.listen.max-message-bytes = 1 MiB")
                .hasMessageStartingWith("portico.listen.max-message-bytes (config text: 1): unknown key")
                .hasMessageEndingWith("did you mean portico.limits.max-message-bytes?");
    }

    @Test
    void unknownSectionIsRejectedWithItsPath() {
        assertRejected("portico {\n  statistics { port = 1 }\n}")
                .hasMessageStartingWith("portico.statistics (config text: 2): unknown key");
    }

    @Test
    void unknownKeyFarFromAnyKnownOneGetsNoSuggestion() {
        assertRejected("portico.cors.something-else-entirely = true")
                .hasMessage("portico.cors.something-else-entirely (config text: 1): unknown key");
    }

    @Test
    void misspeltRootIsRejectedInsteadOfIgnored() {
        assertRejected("portco.listen.port = 1")
                .hasMessageStartingWith("portco (config text: 1): unknown top-level key");
    }

    @Test
    void unknownSystemPropertyUnderPorticoIsRejected() {
        final Properties props = new Properties();
        props.setProperty("portico.listen.prot", "1");

        assertThatThrownBy(() -> PorticoConfig.load(Optional.empty(), Map.of(), props))
                .hasMessageStartingWith("portico.listen.prot (system properties): unknown key");
    }

    @Test
    void unknownKeyInAFileNamesFileAndLine() throws Exception {
        final Path file = write("portico.conf", "portico {\n  admin {\n    prot = 1\n  }\n}\n");

        assertThatThrownBy(() -> PorticoConfig.load(Optional.of(file), Map.of(), new Properties()))
                .hasMessage("portico.admin.prot (" + file + ":3): unknown key; "
                            + "did you mean portico.admin.port?");
    }

    // ---- wrong types ----

    @Test
    void wrongTypeIsRewrittenWithKeyAndOrigin() throws Exception {
        final Path file = write("config.conf", "portico {\n  listen {\n    port = \"abc\"\n  }\n}\n");

        assertThatThrownBy(() -> PorticoConfig.load(Optional.of(file), Map.of(), new Properties()))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessage("portico.listen.port (" + file + ":3): must be an integer, got \"abc\"");
    }

    @Test
    void valueWhereASectionBelongsIsRejected() {
        assertRejected("portico.listen = 8080")
                .hasMessage("portico.listen (config text: 1): "
                            + "must be an object (a section of settings), got 8080");
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', value = {
            "portico.listen.port              | 1.5     | must be an integer, got 1.5",
            "portico.listen.port              | [1]     | must be an integer, got [1]",
            "portico.listen.host              | [a]     | must be a string, got [\"a\"]",
            "portico.upstream.plaintext       | maybe   | must be true or false, got \"maybe\"",
            "portico.upstream.connect-timeout | soon    | must be a positive duration such as 5s or 500ms",
            "portico.cors.max-age             | 2 aeons | must be a non-negative duration such as 5s or 500ms",
            "portico.limits.max-message-bytes | lots    | must be a positive size such as 4 MiB or 65536",
            "portico.cors.allowed-origins     | {a = 1} | must be a list of strings, got {\"a\":1}",
            "portico.cors.allowed-headers     | [[x]]   | each entry must be a string, got [\"x\"]",
            "portico.schema.reflection        | often   | must be true or false, got \"often\"",
            "portico.schema.max-services      | many    | must be an integer, got \"many\"",
            "portico.schema.descriptor-sets   | {a = 1} | must be a list of strings, got {\"a\":1}",
            "portico.connect.allow-get-without-schema | 1 | must be true or false, got 1",
            "portico.compression.response-min-bytes   | big | must be a size such as 1 KiB or 0, got \"big\"",
    })
    void wrongTypeNamesTheKey(String key, String value, String problem) {
        assertRejected(key + " = " + value).hasMessageStartingWith(key + " (config text: 1): " + problem);
    }

    @Test
    void nullWhereAValueIsNeededIsRejected() {
        assertRejected("portico.listen.port = null")
                .hasMessage("portico.listen.port: must be an integer, got null");
    }

    // ---- ranges ----

    @Test
    void portOutOfRangeIsRejectedWithFileAndLine() throws Exception {
        final Path file = write("config.conf", "portico {\n  listen {\n    port = 70000\n  }\n}\n");

        assertThatThrownBy(() -> PorticoConfig.load(Optional.of(file), Map.of(), new Properties()))
                .hasMessage("portico.listen.port (" + file + ":3): must be between 0 and 65535, got 70000");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"portico.metrics.latency-buckets = []",
                            "portico.metrics.latency-buckets = [10ms, 5ms]",
                            "portico.metrics.latency-buckets = [5ms, 5ms]",
                            "portico.metrics.latency-buckets = [0s, 1s]",
                            "portico.metrics.latency-buckets = [fast]",
                            "portico.metrics.latency-buckets = 1s"})
    void latencyBucketsMustBeIncreasingPositiveDurations(String hocon) {
        assertRejected(hocon).hasMessageStartingWith(
                "portico.metrics.latency-buckets (config text: 1): must be a list of 1 to 50 increasing positive "
                + "durations");
    }

    @Test
    void theMethodCapMustBePositive() {
        assertRejected("portico.metrics.max-methods = 0")
                .hasMessageStartingWith("portico.metrics.max-methods (config text: 1): must be between 1 and ");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"portico.listen.port = -1", "portico.listen.port = 65536",
                            "portico.admin.port = -1", "portico.admin.port = 65536",
                            "portico.demo.page-port = -1", "portico.demo.page-port = 65536",
                            "portico.listen.port = 99999999999999"})
    void portsMustBeBetweenZeroAnd65535(String hocon) {
        final String key = hocon.substring(0, hocon.indexOf(' '));
        assertRejected(hocon)
                .hasMessageStartingWith(key + " (config text: 1): must be between 0 and 65535, got ");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"portico.limits.max-message-bytes = 0",
                            "portico.limits.max-message-bytes = -1",
                            "portico.limits.max-message-bytes = 2 GiB",
                            "portico.limits.max-header-list-bytes = 0",
                            "portico.limits.max-initial-line-bytes = 0",
                            "portico.limits.max-request-body-bytes = -4 MiB",
                            "portico.flow-control.write-buffer-low-water-mark = 0",
                            "portico.flow-control.http2-initial-window-bytes = 0"})
    void sizesMustBePositiveAndFitAnInt(String hocon) {
        final String key = hocon.substring(0, hocon.indexOf(' '));
        assertRejected(hocon).hasMessageStartingWith(key + " (config text: 1): must be ");
    }

    @Test
    void sizeAtTheIntLimitIsAccepted() throws Exception {
        final LimitSettings limits = PorticoConfig.parse("portico.limits.max-message-bytes = 2147483647")
                                                  .limits();

        assertThat(limits.maxMessageBytes()).isEqualTo(Integer.MAX_VALUE);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"portico.compression.response-min-bytes = -1",
                            "portico.compression.response-min-bytes = 2 GiB"})
    void responseMinBytesMustBeZeroOrMoreAndFitAnInt(String hocon) {
        assertRejected(hocon).hasMessageStartingWith("portico.compression.response-min-bytes (config text: 1): "
                                                     + "must be ");
    }

    @Test
    void responseMinBytesOfZeroCompressesEverything() throws Exception {
        assertThat(PorticoConfig.parse("portico.compression.response-min-bytes = 0").compression())
                .isEqualTo(new CompressionSettings(0));
    }

    @Test
    void demoPagePortMustDifferFromTheListenPort() {
        assertRejected("portico.listen.port = 8081")
                .hasMessageStartingWith("portico.demo.page-port (reference.conf:")
                .hasMessageEndingWith("): must differ from portico.listen.port (the demo app needs an origin "
                                      + "of its own), got 8081");
    }

    @Test
    void maxServicesMustBePositive() {
        assertRejected("portico.schema.max-services = 0")
                .hasMessage("portico.schema.max-services (config text: 1): must be between 1 and "
                            + Integer.MAX_VALUE + ", got 0");
    }

    @Test
    void maxConcurrentStreamsMustBePositive() {
        assertRejected("portico.limits.max-concurrent-streams = 0")
                .hasMessage("portico.limits.max-concurrent-streams (config text: 1): must be between 1 and "
                            + Integer.MAX_VALUE + ", got 0");
    }

    @Test
    void resetFloodMaxResetsMustBePositive() {
        assertRejected("portico.limits.reset-flood.max-resets = 0")
                .hasMessage("portico.limits.reset-flood.max-resets (config text: 1): must be between 1 and "
                            + Integer.MAX_VALUE + ", got 0");
    }

    @Test
    void resetFloodWindowMustBePositive() {
        assertRejected("portico.limits.reset-flood.window = 0s")
                .hasMessageStartingWith("portico.limits.reset-flood.window (config text: 1): "
                                        + "must be a positive duration");
    }

    @Test
    void resetFloodPenaltyMustNotBeNegative() {
        assertRejected("portico.limits.reset-flood.penalty = -1s")
                .hasMessageStartingWith("portico.limits.reset-flood.penalty (config text: 1): must be a "
                                        + "non-negative duration");
    }

    @Test
    void maxConnectionsMustBePositive() {
        assertRejected("portico.listen.max-connections = 0")
                .hasMessage("portico.listen.max-connections (config text: 1): must be between 1 and "
                            + Integer.MAX_VALUE + ", got 0");
    }

    @Test
    void maxConnectionsPerIpMayBeZeroButNotNegative() throws Exception {
        assertThat(PorticoConfig.parse("portico.listen.max-connections-per-ip = 0").listen().connectionLimits()
                                .maxConnectionsPerIp()).isZero();
        assertRejected("portico.listen.max-connections-per-ip = -1")
                .hasMessage("portico.listen.max-connections-per-ip (config text: 1): must be between 0 and "
                            + Integer.MAX_VALUE + ", got -1");
    }

    @Test
    void zeroTurnsATimeoutOff() throws Exception {
        assertThat(PorticoConfig.parse("portico.listen.timeouts.idle = 0").listen().timeouts().idle()).isZero();
    }

    @Test
    void lowWaterMarkAboveHighWaterMarkIsRejected() {
        assertRejected("portico.flow-control {\n write-buffer-low-water-mark = 128 KiB\n}")
                .hasMessage("portico.flow-control.write-buffer-low-water-mark (config text: 2): "
                            + "must not exceed portico.flow-control.write-buffer-high-water-mark "
                            + "(65536 bytes), got 131072 bytes");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"portico.cors.max-age = -1s", "portico.listen.shutdown-grace-period = -1s",
                            "portico.deadlines.max = -5s", "portico.deadlines.default = -1ms",
                            "portico.listen.timeouts.request-head = -1s", "portico.listen.timeouts.idle = -1s",
                            "portico.listen.timeouts.request-body-idle = -1s",
                            "portico.listen.timeouts.request-body = -1s"})
    void negativeDurationsAreRejected(String hocon) {
        final String key = hocon.substring(0, hocon.indexOf(' '));
        assertRejected(hocon)
                .hasMessageStartingWith(key + " (config text: 1): must be a non-negative duration");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"portico.upstream.connect-timeout = 0s", "portico.upstream.keep-alive-time = 0",
                            "portico.schema.refresh-interval = 0s", "portico.schema.missing-retry-interval = 0",
                            "portico.schema.refresh-interval = -5m"})
    void timersMustBePositive(String hocon) {
        final String key = hocon.substring(0, hocon.indexOf(' '));
        assertRejected(hocon).hasMessageStartingWith(key + " (config text: 1): must be a positive duration");
    }

    @Test
    void defaultDeadlineMustNotExceedTheCap() {
        assertRejected("portico.deadlines { max = 10s\n default = 1m }")
                .hasMessage("portico.deadlines.default (config text: 2): must not exceed portico.deadlines.max "
                            + "(PT10S), got PT1M");
    }

    @Test
    void emptyHostIsRejected() {
        assertRejected("portico.admin.host = \"\"")
                .hasMessage("portico.admin.host (config text: 1): must not be empty");
    }

    // ---- endpoints ----

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"backend", "backend:0", "::1:50051", "backend:http", "http://backend:80"})
    void endpointThatIsNotHostAndPortIsRejected(String endpoint) {
        assertRejected("portico.upstream.endpoints = [\n  \"ok:1\",\n  \"" + endpoint + "\"\n]")
                .hasMessageStartingWith("portico.upstream.endpoints (config text: 3): each endpoint must be "
                                        + "host:port or [ipv6]:port; ");
    }

    // ---- API explorer ----

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"https://api.example.com", "http://127.0.0.1:18080", "https://[::1]:8443/rpc"})
    void explorerFrontUrlMayBeAnyHttpBaseUrl(String url) throws Exception {
        assertThat(PorticoConfig.parse("portico.admin.explorer.front-url = \"" + url + "/\"").admin().explorer()
                                .frontUrl()).contains(url);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"api.example.com:8080", "ftp://api.example.com", "https://",
                            "http://a.example/?x=1", "http://a.example/#top", "https://user@a.example",
                            "http://a b"})
    void explorerFrontUrlThatIsNotAnHttpBaseUrlIsRejected(String url) {
        assertRejected("portico.admin.explorer.front-url = \"" + url + "\"")
                .hasMessageStartingWith("portico.admin.explorer.front-url (config text: 1): must ");
    }

    // ---- CORS ----

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"https://app.example.com", "http://localhost:3000", "https://*.example.com",
                            "https://*.example.com:8443", "http://127.0.0.1:8080", "http://[::1]:8080",
                            "chrome-extension://abcdef"})
    void wellFormedOriginsAreAccepted(String origin) throws Exception {
        assertThat(PorticoConfig.parse("portico.cors.allowed-origins = [\"" + origin + "\"]").cors()
                                .allowedOrigins()).containsExactly(origin);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"app.example.com", "https://app.example.com/", "https://app.example.com/path",
                            "https://", "null", "https://*", "https://*.", "https://a.*.example.com",
                            "*.example.com", "https://app.example.com:0", "https://app.example.com:99999",
                            "https://app.example.com:", "https://user@app.example.com"})
    void malformedOriginIsRejected(String origin) {
        assertRejected("portico.cors.allowed-origins = [\"" + origin + "\"]")
                .hasMessageStartingWith("portico.cors.allowed-origins (config text: 1): ");
    }

    @Test
    void mixedCaseOriginIsRejectedBecauseBrowsersSendLowercase() {
        assertRejected("portico.cors.allowed-origins = [\"https://App.example.com\"]")
                .hasMessage("portico.cors.allowed-origins (config text: 1): origins must be lowercase, "
                            + "got \"https://App.example.com\"");
    }

    @Test
    void wildcardOriginWithCredentialsIsRejected() {
        assertRejected("portico.cors.allow-credentials = true")
                .hasMessageStartingWith("portico.cors.allowed-origins (reference.conf:")
                .hasMessageContaining("\"*\" cannot be combined with portico.cors.allow-credentials = true");
    }

    @Test
    void wildcardOriginMustBeTheOnlyEntry() {
        assertRejected("portico.cors.allowed-origins = [\"https://a.example\", \"*\"]")
                .hasMessageStartingWith("portico.cors.allowed-origins (config text: 1): \"*\" allows every "
                                        + "origin, so it must be the only entry");
    }

    @Test
    void explicitOriginsMayAllowCredentials() throws Exception {
        final CorsSettings cors = PorticoConfig.parse(
                "portico.cors { allowed-origins = [\"https://*.example.com\"], allow-credentials = true }")
                                                .cors();

        assertThat(cors.allowCredentials()).isTrue();
    }

    @Test
    void headerNameThatIsNotAnHttpTokenIsRejected() {
        assertRejected("portico.cors.exposed-headers = [\"x-ok\", \"x bad\"]")
                .hasMessage("portico.cors.exposed-headers (config text: 1): each entry must be an HTTP header "
                            + "name, got \"x bad\"");
    }

    // ---- TLS ----

    @Test
    void certWithoutKeyIsRejected() throws Exception {
        final Path cert = write("cert.pem", "cert");

        assertRejected("portico.tls.cert-chain-file = \"" + cert + "\"")
                .hasMessage("portico.tls.cert-chain-file (config text: 1): is set but "
                            + "portico.tls.private-key-file is not; set both to enable TLS, or neither");
    }

    @Test
    void keyWithoutCertIsRejected() throws Exception {
        final Path key = write("key.pem", "key");

        assertRejected("portico.tls.private-key-file = \"" + key + "\"")
                .hasMessageStartingWith("portico.tls.private-key-file (config text: 1): is set but "
                                        + "portico.tls.cert-chain-file is not");
    }

    @Test
    void missingTlsFileIsRejected() throws Exception {
        final Path key = write("key.pem", "key");
        final Path cert = dir.resolve("missing.pem");

        assertRejected("portico.tls {\n cert-chain-file = \"" + cert + "\"\n"
                       + " private-key-file = \"" + key + "\" }")
                .hasMessage("portico.tls.cert-chain-file (config text: 2): file " + cert
                            + " does not exist or is not a file");
    }

    @Test
    void directoryAsTlsFileIsRejected() throws Exception {
        final Path cert = write("cert.pem", "cert");

        assertRejected("portico.tls { cert-chain-file = \"" + cert + "\", private-key-file = \"" + dir + "\" }")
                .hasMessageStartingWith("portico.tls.private-key-file (config text: 1): file ");
    }

    @Test
    void missingTlsFileFromTheEnvironmentNamesTheVariable() throws Exception {
        final Path key = write("key.pem", "key");
        final Map<String, String> env = Map.of(
                "PORTICO_TLS_CERT_CHAIN_FILE", dir.resolve("nope.pem").toString(),
                "PORTICO_TLS_PRIVATE_KEY_FILE", key.toString());

        assertThatThrownBy(() -> PorticoConfig.load(Optional.empty(), env, new Properties()))
                .hasMessageStartingWith("portico.tls.cert-chain-file (environment variable "
                                        + "PORTICO_TLS_CERT_CHAIN_FILE): file ");
    }

    // ---- schema descriptor sets ----

    @Test
    void missingDescriptorSetIsRejectedWithItsListEntry() throws Exception {
        final Path present = write("api.binpb", "");
        final Path missing = dir.resolve("missing.binpb");

        assertRejected("portico.schema.descriptor-sets = [\n  \"" + present + "\",\n  \"" + missing + "\"\n]")
                .hasMessage("portico.schema.descriptor-sets (config text: 3): file " + missing
                            + " does not exist or is not a file");
    }

    @Test
    void directoryAsDescriptorSetIsRejected() {
        assertRejected("portico.schema.descriptor-sets = [\"" + dir + "\"]")
                .hasMessage("portico.schema.descriptor-sets (config text: 1): file " + dir
                            + " does not exist or is not a file");
    }

    @Test
    void missingDescriptorSetFromTheEnvironmentNamesTheVariable() {
        final Map<String, String> env = Map.of("PORTICO_SCHEMA_DESCRIPTOR_SETS",
                                               dir.resolve("nope.binpb").toString());

        assertThatThrownBy(() -> PorticoConfig.load(Optional.empty(), env, new Properties()))
                .hasMessageStartingWith("portico.schema.descriptor-sets (environment variable "
                                        + "PORTICO_SCHEMA_DESCRIPTOR_SETS): file ");
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertRejected(String hocon) {
        return assertThatThrownBy(() -> PorticoConfig.parse(hocon)).isInstanceOf(InvalidConfigException.class);
    }

    @Test
    void websocketOriginsAreTheCorsOnesUnlessSetApart() throws Exception {
        assertThat(PorticoConfig.parse("portico.cors.allowed-origins = [\"https://a.example\"]").websocket())
                .isEqualTo(new WebSocketSettings(true, 5 << 20, List.of("https://a.example"),
                                                 Duration.ofSeconds(5)));
        assertThat(PorticoConfig.parse("""
                portico.cors.allowed-origins = ["https://a.example"]
                portico.websocket { allowed-origins = ["https://*.b.example"], max-frame-size = 64 KiB }
                """).websocket())
                .isEqualTo(new WebSocketSettings(true, 64 << 10, List.of("https://*.b.example"),
                                                 Duration.ofSeconds(5)));
    }

    @Test
    void websocketLimitsAreCheckedWithTheirOrigin() {
        assertRejected("portico.websocket.max-frame-size = 0")
                .hasMessageStartingWith("portico.websocket.max-frame-size (config text: 1): must be between "
                                        + "1 byte");
        assertRejected("portico.websocket.close-timeout = 0s")
                .hasMessageStartingWith("portico.websocket.close-timeout (config text: 1): must be a positive "
                                        + "duration");
        assertRejected("portico.websocket.allowed-origins = [\"https://A.example\"]")
                .hasMessage("portico.websocket.allowed-origins (config text: 1): origins must be lowercase, "
                            + "got \"https://A.example\"");
    }
}
