package dev.portico.config;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;

/**
 * Reads Portico's HOCON configuration, once, into {@link PorticoSettings}.
 *
 * <p>Layers, highest precedence first: system properties under {@code portico.}, the {@code PORTICO_*}
 * environment variables in {@link #ENV_VARS}, the optional file, and {@code reference.conf}, which holds every
 * key with its default. The merged tree is checked against {@code reference.conf} (unknown keys are errors),
 * then each key is read with a typed getter and validated. The first problem found is thrown as one
 * {@link InvalidConfigException} naming the key and where its value came from. No {@link Config} escapes this
 * class, so this is the only place in Portico that knows HOCON.
 *
 * <p>Stateless and thread-safe.
 */
public final class PorticoConfig {

    private static final String ROOT = "portico";

    /**
     * Environment variable → the key it overrides. Only the keys people set per deployment; the rest go in
     * the file or a {@code -D}. List keys take a comma-separated value, which {@link #strings} splits.
     */
    private static final Map<String, String> ENV_VARS = Map.of(
            "PORTICO_LISTEN_HOST", "portico.listen.host",
            "PORTICO_LISTEN_PORT", "portico.listen.port",
            "PORTICO_UPSTREAM_ENDPOINTS", "portico.upstream.endpoints",
            "PORTICO_CORS_ALLOWED_ORIGINS", "portico.cors.allowed-origins",
            "PORTICO_TLS_CERT_CHAIN_FILE", "portico.tls.cert-chain-file",
            "PORTICO_TLS_PRIVATE_KEY_FILE", "portico.tls.private-key-file",
            "PORTICO_ADMIN_PORT", "portico.admin.port",
            "PORTICO_DEMO_PAGE_PORT", "portico.demo.page-port",
            "PORTICO_SCHEMA_DESCRIPTOR_SETS", "portico.schema.descriptor-sets");

    // RFC 6454 origin as browsers serialise it: lowercase scheme://host[:port], no path. The host is a DNS
    // name, IPv4 or bracketed IPv6 literal. A pattern replaces the first label(s) with "*.".
    private static final String SCHEME = "[a-z][a-z0-9+.-]*";
    private static final String LABEL = "[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?";
    private static final String DOMAIN = LABEL + "(\\." + LABEL + ")*";
    private static final String PORT = "(:(?<port>[0-9]{1,5}))?";
    private static final Pattern EXACT_ORIGIN =
            Pattern.compile(SCHEME + "://(" + DOMAIN + "|\\[[0-9a-f:.]+\\])" + PORT);
    private static final Pattern ORIGIN_PATTERN = Pattern.compile(SCHEME + "://\\*\\." + DOMAIN + PORT);
    // RFC 9110 section 5.6.2: field names are tokens.
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

    private static final String UPSTREAM = "portico.upstream";
    /** Named clusters: a map whose entries take the keys of {@link #UPSTREAM} (and services); no section. */
    private static final String CLUSTERS = UPSTREAM + ".clusters";
    /** Keys only a cluster has; the default cluster is {@link #UPSTREAM} itself and takes every call. */
    private static final String SERVICES = "services";
    /** OpenTelemetry resource attributes: any names, string values. */
    private static final String RESOURCE_ATTRIBUTES = "portico.tracing.resource-attributes";
    // A cluster name is a metric tag value and appears in messages: keep it short and plain.
    private static final Pattern CLUSTER_NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    // A route: a fully-qualified service name as in a gRPC path (pkg.Service), or a package prefix (pkg.*).
    private static final Pattern SERVICE_ROUTE =
            Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*(\\.\\*)?");

    private PorticoConfig() {
    }

    /** Loads {@code file} (optional) over reference.conf, with env vars and system properties on top. */
    public static PorticoSettings load(Optional<Path> file) throws InvalidConfigException {
        return load(file, System.getenv(), System.getProperties());
    }

    /**
     * Like {@link #load(Optional)} with the environment and system properties given, so tests need not touch
     * the real ones. {@code env} also serves {@code ${?VAR}} substitutions in the file.
     */
    public static PorticoSettings load(Optional<Path> file, Map<String, String> env,
                                       Properties systemProperties) throws InvalidConfigException {
        requireNonNull(file, "file");
        requireNonNull(env, "env");
        requireNonNull(systemProperties, "systemProperties");
        try {
            final Config fromFile = file.isPresent() ? parseFile(file.get()) : ConfigFactory.empty();
            return build(fromFile, env, systemProperties);
        } catch (ConfigException e) {
            // Syntax errors, unreadable files, unresolved substitutions: typesafe's message already has the
            // origin and says what is wrong; there is no single key to name.
            throw new InvalidConfigException(e.getMessage(), e);
        }
    }

    /** For tests and embedding: parse HOCON text (plus reference.conf) with no env/system overrides. */
    public static PorticoSettings parse(String hocon) throws InvalidConfigException {
        requireNonNull(hocon, "hocon");
        try {
            final Config text = ConfigFactory.parseString(
                    hocon, ConfigParseOptions.defaults().setOriginDescription("config text"));
            return build(text, Map.of(), new Properties());
        } catch (ConfigException e) {
            throw new InvalidConfigException(e.getMessage(), e);
        }
    }

    private static Config parseFile(Path file) throws InvalidConfigException {
        if (!Files.isRegularFile(file)) {
            throw new InvalidConfigException("config file " + file + " does not exist or is not a file");
        }
        // parseFile picks the syntax from the extension (.conf, .json, .properties); anything else is HOCON.
        return ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
    }

    private static PorticoSettings build(Config userConfig, Map<String, String> env,
                                         Properties systemProperties) throws InvalidConfigException {
        final Config reference = reference();
        checkTopLevelKeys(userConfig);
        final Config merged = systemPropertyLayer(systemProperties)
                .withFallback(envLayer(env))
                .withFallback(userConfig)
                .withFallback(reference)
                // Lowest of all, so that substitutions such as ${?UPSTREAM} look in the config first and then
                // in `env`, as typesafe does with the real environment, which we switch off: the injected map
                // is the whole truth. (resolveWith(source) would be the obvious tool, but typesafe 1.4 fails
                // on `a = 1, a = ${?X}` with it.) The extra root keys are skipped by checkKnownKeys.
                .withFallback(envSubstitutionSource(env));
        final Config c = merged.resolve(ConfigResolveOptions.defaults().setUseSystemEnvironment(false));
        checkKnownKeys(c.root(), reference, "", "", allPaths(reference.root(), ""));

        final ListenSettings listen = new ListenSettings(
                nonEmptyString(c, "portico.listen.host"),
                intBetween(c, "portico.listen.port", 0, 65535),
                nonNegativeDuration(c, "portico.listen.shutdown-grace-period"),
                new TimeoutSettings(
                        nonNegativeDuration(c, "portico.listen.timeouts.request-head"),
                        nonNegativeDuration(c, "portico.listen.timeouts.idle"),
                        nonNegativeDuration(c, "portico.listen.timeouts.request-body-idle"),
                        nonNegativeDuration(c, "portico.listen.timeouts.request-body")),
                new ConnectionLimitSettings(
                        intBetween(c, "portico.listen.max-connections", 1, Integer.MAX_VALUE),
                        intBetween(c, "portico.listen.max-connections-per-ip", 0, Integer.MAX_VALUE)));
        final TlsSettings tls = tls(c);
        final UpstreamSettings upstream = new UpstreamSettings(
                endpoints(c, "portico.upstream.endpoints"),
                bool(c, "portico.upstream.plaintext"),
                positiveDuration(c, "portico.upstream.connect-timeout"),
                keepAliveTime(c, "portico.upstream.keep-alive-time"));
        final CorsSettings cors = cors(c);
        final LimitSettings limits = new LimitSettings(
                bytes(c, "portico.limits.max-message-bytes"),
                bytes(c, "portico.limits.max-header-list-bytes"),
                bytes(c, "portico.limits.max-initial-line-bytes"),
                intBetween(c, "portico.limits.max-concurrent-streams", 1, Integer.MAX_VALUE),
                bytes(c, "portico.limits.max-request-body-bytes"),
                intBetween(c, "portico.limits.max-calls-in-flight", 1, Integer.MAX_VALUE),
                new ResetFloodSettings(
                        intBetween(c, "portico.limits.reset-flood.max-resets", 1, Integer.MAX_VALUE),
                        positiveDuration(c, "portico.limits.reset-flood.window"),
                        nonNegativeDuration(c, "portico.limits.reset-flood.penalty"),
                        intBetween(c, "portico.limits.reset-flood.max-tracked-clients", 1, Integer.MAX_VALUE)));
        final DeadlineSettings deadlines = deadlines(c);
        final FlowControlSettings flowControl = flowControl(c);
        final AdminSettings admin = new AdminSettings(
                bool(c, "portico.admin.enabled"),
                nonEmptyString(c, "portico.admin.host"),
                intBetween(c, "portico.admin.port", 0, 65535),
                new ExplorerSettings(bool(c, "portico.admin.explorer.enabled"),
                                     baseUrl(c, "portico.admin.explorer.front-url")));
        final SchemaSettings schema = new SchemaSettings(
                bool(c, "portico.schema.reflection"),
                positiveDuration(c, "portico.schema.refresh-interval"),
                positiveDuration(c, "portico.schema.missing-retry-interval"),
                intBetween(c, "portico.schema.max-services", 1, Integer.MAX_VALUE),
                readableFiles(c, "portico.schema.descriptor-sets"));
        final ConnectSettings connect = new ConnectSettings(
                bool(c, "portico.connect.require-protocol-version"),
                bool(c, "portico.connect.allow-get-without-schema"),
                bool(c, "portico.connect.reject-unknown-json-fields"));
        final CompressionSettings compression = new CompressionSettings(
                bytesOrZero(c, "portico.compression.response-min-bytes"));
        final UpstreamPoolSettings upstreamPool = upstreamPool(c);
        final HealthSettings health = new HealthSettings(bool(c, "portico.health.grpc-health-service"));
        final ErrorSettings errors = new ErrorSettings(bool(c, "portico.errors.expose-upstream-details"));
        final WebSocketSettings websocket = websocket(c, cors);
        final DemoSettings demo = new DemoSettings(intBetween(c, "portico.demo.page-port", 0, 65535));
        if (demo.pagePort() != 0 && demo.pagePort() == listen.port()) {
            throw invalid(c, "portico.demo.page-port",
                          "must differ from portico.listen.port (the demo app needs an origin of its own), got "
                          + demo.pagePort());
        }
        final MetricsSettings metrics = new MetricsSettings(
                latencyBuckets(c, "portico.metrics.latency-buckets"),
                intBetween(c, "portico.metrics.max-methods", 1, Integer.MAX_VALUE));
        return new PorticoSettings(listen, tls, upstream, cors, limits, deadlines, flowControl, admin, schema,
                                   connect, compression, upstreamPool, health, errors, demo, metrics,
                                   accessLog(c), tracing(c), websocket);
    }

    // ---- observability ----

    private static AccessLogSettings accessLog(Config c) throws InvalidConfigException {
        final String p = "portico.access-log";
        final List<Cidr> trusted = new ArrayList<>();
        for (Entry entry : strings(c, p + ".trusted-proxies")) {
            try {
                trusted.add(Cidr.parse(entry.value()));
            } catch (IllegalArgumentException e) {
                throw invalid(p + ".trusted-proxies", entry.origin(), "\"" + entry.value() + "\" is "
                              + e.getMessage(), e);
            }
        }
        return new AccessLogSettings(bool(c, p + ".enabled"),
                                     enumValue(c, p + ".format", AccessLogSettings.Format.class),
                                     fraction(c, p + ".sample-rate"), trusted);
    }

    private static TracingSettings tracing(Config c) throws InvalidConfigException {
        final String p = "portico.tracing";
        final Map<String, String> attributes = new LinkedHashMap<>();
        final Config object;
        try {
            object = c.getConfig(RESOURCE_ATTRIBUTES);
        } catch (ConfigException.WrongType e) {
            throw invalid(c, RESOURCE_ATTRIBUTES, "must be an object of attribute names and string values, got "
                                                  + render(c, RESOURCE_ATTRIBUTES), e);
        }
        // Flattened: deployment.environment.name = prod (unquoted, so nested) names one attribute.
        for (Map.Entry<String, ConfigValue> attribute : object.entrySet()) {
            final ConfigValue value = attribute.getValue();
            if (value.valueType() == ConfigValueType.LIST) {
                throw invalid(RESOURCE_ATTRIBUTES + '.' + attribute.getKey(), value.origin(),
                              "must be a string, got " + render(value));
            }
            attributes.put(String.join(".", ConfigUtil.splitPath(attribute.getKey())),
                           String.valueOf(value.unwrapped()));
        }
        return new TracingSettings(bool(c, p + ".enabled"), collectorUri(c, p + ".endpoint"),
                                   enumValue(c, p + ".protocol", TracingSettings.Protocol.class),
                                   fraction(c, p + ".sampling-ratio"), nonEmptyString(c, p + ".service-name"),
                                   attributes, intBetween(c, p + ".max-queue-size", 1, 1_000_000),
                                   positiveDuration(c, p + ".export-timeout"));
    }

    /** {@code http://host:port} or {@code https://host:port}, nothing more. */
    private static URI collectorUri(Config c, String path) throws InvalidConfigException {
        final String text = nonEmptyString(c, path);
        final String expected = "must be http://host:port or https://host:port, got \"" + text + "\"";
        final URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw invalid(c, path, expected, e);
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
            || uri.getPort() < 0 || !(uri.getRawPath() == null || uri.getRawPath().isEmpty())
            || uri.getRawQuery() != null || uri.getRawUserInfo() != null) {
            throw invalid(c, path, expected);
        }
        return uri;
    }

    /** A number from 0 to 1. */
    private static double fraction(Config c, String path) throws InvalidConfigException {
        final double value;
        try {
            value = c.getDouble(path);
        } catch (ConfigException.WrongType | ConfigException.BadValue e) {
            throw invalid(c, path, "must be a number from 0 to 1, got " + render(c, path), e);
        } catch (ConfigException.Null e) {
            throw invalid(c, path, "must be a number from 0 to 1, got null", e);
        }
        if (!(value >= 0 && value <= 1)) {
            throw invalid(c, path, "must be a number from 0 to 1, got " + render(c, path));
        }
        return value;
    }

    // ---- layers ----

    private static Config reference() {
        // Not ConfigFactory.defaultReference(): that one also applies the real system properties, which would
        // defeat the injectable ones. Only our subtree, whatever other jars ship in their reference.conf.
        final Config all = ConfigFactory.parseResources(PorticoConfig.class.getClassLoader(), "reference.conf");
        if (!all.hasPath(ROOT)) {
            throw new IllegalStateException("reference.conf with a `portico` section is not on the class path");
        }
        return all.withOnlyPath(ROOT).resolve();
    }

    private static Config systemPropertyLayer(Properties systemProperties) {
        // Only our prefix: java.*, user.* and the rest are not ours, and some of them (a=1 next to a.b=2)
        // would not even form a tree.
        final Properties ours = new Properties();
        for (String name : systemProperties.stringPropertyNames()) {
            if (name.startsWith(ROOT + '.')) {
                ours.setProperty(name, systemProperties.getProperty(name));
            }
        }
        return ConfigFactory.parseProperties(
                ours, ConfigParseOptions.defaults().setOriginDescription("system properties"));
    }

    private static Config envLayer(Map<String, String> env) {
        Config layer = ConfigFactory.empty("environment variables");
        for (Map.Entry<String, String> e : ENV_VARS.entrySet()) {
            final String value = env.get(e.getKey());
            if (value != null) {
                // The origin is what error messages print, so a bad value names its variable.
                final String origin = "environment variable " + e.getKey();
                layer = layer.withValue(e.getValue(), ConfigValueFactory.fromAnyRef(value, origin));
            }
        }
        return layer;
    }

    private static Config envSubstitutionSource(Map<String, String> env) {
        Config source = ConfigFactory.empty("environment variables");
        for (Map.Entry<String, String> e : env.entrySet()) {
            // One path element per variable name, quoted, as typesafe's own env lookup does.
            source = source.withValue(ConfigUtil.joinPath(e.getKey()),
                                      ConfigValueFactory.fromAnyRef(e.getValue(),
                                                                    "environment variable " + e.getKey()));
        }
        return source;
    }

    // ---- structure ----

    /** A misspelt root (`portco { ... }`) would otherwise be silently ignored. */
    private static void checkTopLevelKeys(Config userConfig) throws InvalidConfigException {
        for (Map.Entry<String, ConfigValue> e : userConfig.root().entrySet()) {
            if (!e.getKey().equals(ROOT)) {
                throw invalid(ConfigUtil.joinPath(e.getKey()), e.getValue().origin(),
                              "unknown top-level key; all settings live under `portico`");
            }
        }
    }

    /**
     * Walks {@code node}, which sits at {@code prefix}, and fails on the first key reference.conf lacks.
     * {@code schemaPrefix} is where the same keys sit in reference.conf: {@code prefix} itself, except inside
     * a named cluster, whose keys are those of {@code portico.upstream}.
     */
    private static void checkKnownKeys(ConfigObject node, Config reference, String prefix, String schemaPrefix,
                                       Set<String> known) throws InvalidConfigException {
        // Sorted, so that with several unknown keys the same one is reported every time.
        for (Map.Entry<String, ConfigValue> e : new TreeMap<>(node).entrySet()) {
            if (prefix.isEmpty() && !e.getKey().equals(ROOT)) {
                continue;  // env variables; the file's other roots were rejected by checkTopLevelKeys
            }
            final String path = prefix.isEmpty() ? ConfigUtil.joinPath(e.getKey())
                                                 : prefix + '.' + ConfigUtil.joinPath(e.getKey());
            final String schemaPath = schemaPrefix.isEmpty()
                                      ? ConfigUtil.joinPath(e.getKey())
                                      : schemaPrefix + '.' + ConfigUtil.joinPath(e.getKey());
            if (path.equals(CLUSTERS)) {
                checkClusters(e.getValue(), reference, known);
                continue;
            }
            if (path.equals(RESOURCE_ATTRIBUTES)) {
                continue; // Names of the user's choosing; tracing() checks the values.
            }
            if (!reference.hasPathOrNull(schemaPath)) {
                final String suggestion = closest(schemaPath, known)
                        .flatMap(k -> inCluster(k, prefix, schemaPrefix))
                        .map(k -> "; did you mean " + k + "?").orElse("");
                throw invalid(path, e.getValue().origin(), "unknown key" + suggestion);
            }
            final boolean section = !reference.getIsNull(schemaPath)
                                    && reference.getValue(schemaPath).valueType() == ConfigValueType.OBJECT;
            if (section) {
                if (e.getValue().valueType() != ConfigValueType.OBJECT) {
                    throw invalid(path, e.getValue().origin(),
                                  "must be an object (a section of settings), got " + render(e.getValue()));
                }
                checkKnownKeys((ConfigObject) e.getValue(), reference, path, schemaPath, known);
            }
            // Leaves, including lists (a -D list arrives as an object with keys 0, 1, ...), are type-checked
            // by their getters.
        }
    }

    /**
     * {@code portico.upstream.clusters} maps names of the user's choosing to objects with the keys of
     * {@code portico.upstream} (which they inherit) plus {@code services}.
     */
    private static void checkClusters(ConfigValue clusters, Config reference, Set<String> known)
            throws InvalidConfigException {
        if (clusters.valueType() != ConfigValueType.OBJECT) {
            throw invalid(CLUSTERS, clusters.origin(), "must be an object of named clusters, as in "
                                                       + "clusters { users { ... } }, got " + render(clusters));
        }
        for (Map.Entry<String, ConfigValue> e : new TreeMap<>((ConfigObject) clusters).entrySet()) {
            final String path = CLUSTERS + '.' + ConfigUtil.joinPath(e.getKey());
            if (e.getValue().valueType() != ConfigValueType.OBJECT) {
                throw invalid(path, e.getValue().origin(),
                              "must be an object (a cluster's settings), got " + render(e.getValue()));
            }
            final ConfigObject cluster = (ConfigObject) e.getValue();
            if (cluster.containsKey("clusters")) {
                throw invalid(path + ".clusters", cluster.get("clusters").origin(),
                              "clusters cannot be nested");
            }
            checkKnownKeys(cluster.withoutKey(SERVICES), reference, path, UPSTREAM, known);
        }
    }

    /** A suggested reference path as the user would write it at {@code prefix}, if it can be written there. */
    private static Optional<String> inCluster(String suggestion, String prefix, String schemaPrefix) {
        if (prefix.equals(schemaPrefix)) {
            return Optional.of(suggestion);
        }
        // Inside a cluster: only keys of portico.upstream exist there, under the cluster's path.
        final int suffix = schemaPrefix.length() - UPSTREAM.length();
        final String clusterPath = prefix.substring(0, prefix.length() - suffix);
        if (!suggestion.startsWith(UPSTREAM + '.') || suggestion.startsWith(CLUSTERS)) {
            return Optional.empty();
        }
        return Optional.of(clusterPath + suggestion.substring(UPSTREAM.length()));
    }

    private static Set<String> allPaths(ConfigObject node, String prefix) {
        final Set<String> paths = new TreeSet<>();
        for (Map.Entry<String, ConfigValue> e : node.entrySet()) {
            final String path = prefix.isEmpty() ? e.getKey() : prefix + '.' + e.getKey();
            paths.add(path);
            if (e.getValue() instanceof ConfigObject) {
                paths.addAll(allPaths((ConfigObject) e.getValue(), path));
            }
        }
        return paths;
    }

    /** The known path nearest by edit distance, if it is near enough to be a likely typo. */
    private static Optional<String> closest(String path, Set<String> known) {
        final int limit = Math.max(2, path.length() / 4);
        return known.stream()
                    .filter(k -> editDistance(path, k) <= limit)
                    .min(Comparator.comparingInt((String k) -> editDistance(path, k)).thenComparing(k -> k));
    }

    private static int editDistance(String a, String b) {
        // Levenshtein with two rows; keys are short, so this is cheap even over every known path.
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                final int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            final int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    // ---- sections with cross-key rules ----

    private static TlsSettings tls(Config c) throws InvalidConfigException {
        final String certKey = "portico.tls.cert-chain-file";
        final String keyKey = "portico.tls.private-key-file";
        final Optional<Path> cert = optionalReadableFile(c, certKey);
        final Optional<Path> key = optionalReadableFile(c, keyKey);
        if (cert.isPresent() && key.isEmpty()) {
            throw invalid(c, certKey, "is set but " + keyKey + " is not; set both to enable TLS, or neither");
        }
        if (key.isPresent() && cert.isEmpty()) {
            throw invalid(c, keyKey, "is set but " + certKey + " is not; set both to enable TLS, or neither");
        }
        final Optional<TlsKeyMaterial> material = cert.isPresent()
                ? Optional.of(keyMaterial(c, "portico.tls", cert.get(), key.orElseThrow())) : Optional.empty();
        return new TlsSettings(cert, key, material, enumValue(c, "portico.tls.provider", TlsProvider.class));
    }

    /**
     * Reads the key and certificate chain of section {@code p} now, so that a file Portico cannot use stops
     * start-up with one line naming its key, not a stack trace at the first handshake.
     */
    private static TlsKeyMaterial keyMaterial(Config c, String p, Path certFile, Path keyFile)
            throws InvalidConfigException {
        final String certKey = p + ".cert-chain-file";
        final String keyKey = p + ".private-key-file";
        final List<X509Certificate> chain;
        try {
            chain = PemReader.certificates(certFile);
        } catch (PemReader.UnreadablePem e) {
            throw invalid(c, certKey, e.getMessage());
        }
        final char[] password = privateKeyPassword(c, p);
        try {
            final PrivateKey privateKey = PemReader.privateKey(keyFile, password);
            PemReader.checkKeyMatches(privateKey, chain.get(0));
            return new TlsKeyMaterial(privateKey, chain);
        } catch (PemReader.UnreadablePem e) {
            throw invalid(c, keyKey, e.getMessage());
        } finally {
            if (password != null) {
                Arrays.fill(password, '\0');
            }
        }
    }

    /** {@code private-key-password} or the first line of {@code private-key-password-file}; null: neither. */
    private static char[] privateKeyPassword(Config c, String p) throws InvalidConfigException {
        final String passwordKey = p + ".private-key-password";
        final String fileKey = p + ".private-key-password-file";
        final Optional<Path> file = optionalReadableFile(c, fileKey);
        if (c.getIsNull(passwordKey)) {
            if (file.isEmpty()) {
                return null;
            }
            try {
                final String content = Files.readString(file.get(), StandardCharsets.UTF_8);
                // Like nginx's ssl_password_file and openssl's file: source: the first line is the password.
                final int end = content.indexOf('\n');
                return (end < 0 ? content : content.substring(0, end)).replace("\r", "").toCharArray();
            } catch (IOException e) {
                throw invalid(c, fileKey, "cannot be read: " + e.getMessage(), e);
            }
        }
        if (file.isPresent()) {
            throw invalid(c, passwordKey, "is set and so is " + fileKey + "; set one of them");
        }
        return string(c, passwordKey).toCharArray();
    }

    private static CorsSettings cors(Config c) throws InvalidConfigException {
        final boolean allowCredentials = bool(c, "portico.cors.allow-credentials");
        return new CorsSettings(
                allowedOrigins(c, "portico.cors.allowed-origins", allowCredentials),
                headerNames(c, "portico.cors.allowed-headers"),
                headerNames(c, "portico.cors.exposed-headers"),
                allowCredentials,
                nonNegativeDuration(c, "portico.cors.max-age"),
                bool(c, "portico.cors.allow-private-network"));
    }

    /** The origins of {@code originsKey}: "*" alone, exact origins or subdomain patterns. */
    private static List<String> allowedOrigins(Config c, String originsKey, boolean allowCredentials)
            throws InvalidConfigException {
        final List<Entry> origins = strings(c, originsKey);
        final List<String> allowedOrigins = new ArrayList<>();
        for (Entry origin : origins) {
            if (origin.value().equals("*")) {
                if (origins.size() > 1) {
                    throw invalid(originsKey, origin.origin(), "\"*\" allows every origin, so it must be the "
                                                               + "only entry, got " + values(origins));
                }
                if (allowCredentials) {
                    // Fetch spec, CORS protocol: a credentialed response may not use "*", and reflecting every
                    // origin with credentials would hand any site the user's cookies.
                    throw invalid(originsKey, origin.origin(), "\"*\" cannot be combined with "
                                  + "portico.cors.allow-credentials = true; list the exact origins instead");
                }
            } else {
                checkOrigin(originsKey, origin);
            }
            allowedOrigins.add(origin.value());
        }
        return allowedOrigins;
    }

    /** {@code portico.websocket}; its allowed origins are the CORS ones unless set (null means "as CORS"). */
    private static WebSocketSettings websocket(Config c, CorsSettings cors) throws InvalidConfigException {
        final String originsKey = "portico.websocket.allowed-origins";
        return new WebSocketSettings(
                bool(c, "portico.websocket.enabled"),
                bytes(c, "portico.websocket.max-frame-size"),
                c.getIsNull(originsKey) ? cors.allowedOrigins() : allowedOrigins(c, originsKey, false),
                positiveDuration(c, "portico.websocket.close-timeout"));
    }

    private static void checkOrigin(String path, Entry origin) throws InvalidConfigException {
        final String value = origin.value();
        if (!value.equals(value.toLowerCase(Locale.ROOT))) {
            // Browsers send the Origin header lowercase, so a mixed-case entry could never match.
            throw invalid(path, origin.origin(), "origins must be lowercase, got \"" + value + "\"");
        }
        final Matcher m = (value.contains("*") ? ORIGIN_PATTERN : EXACT_ORIGIN).matcher(value);
        if (!m.matches()) {
            throw invalid(path, origin.origin(), "must be \"*\", an origin scheme://host[:port] (no path), or "
                                                 + "a pattern scheme://*.domain[:port], got \"" + value + "\"");
        }
        final String port = m.group("port");
        if (port != null && (Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535)) {
            throw invalid(path, origin.origin(), "port must be between 1 and 65535, got \"" + value + "\"");
        }
    }

    /**
     * Unset (null) is empty; else an absolute {@code http[s]://host[:port][/path]} URL without query or
     * fragment, returned without a trailing slash so that a call path can be appended.
     */
    private static Optional<String> baseUrl(Config c, String path) throws InvalidConfigException {
        final Optional<String> value = optionalNonEmptyString(c, path);
        if (value.isEmpty()) {
            return value;
        }
        final String expected = "must be an http:// or https:// URL such as https://api.example.com:8443, "
                                + "with no query or fragment, got \"" + value.get() + "\"";
        final URI uri;
        try {
            uri = new URI(value.get());
        } catch (URISyntaxException e) {
            throw invalid(c, path, expected, e);
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
            || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
            throw invalid(c, path, expected);
        }
        return Optional.of(value.get().replaceAll("/+$", ""));
    }

    private static DeadlineSettings deadlines(Config c) throws InvalidConfigException {
        final Duration max = nonNegativeDuration(c, "portico.deadlines.max");
        final Duration defaultTimeout = nonNegativeDuration(c, "portico.deadlines.default");
        if (!max.isZero() && defaultTimeout.compareTo(max) > 0) {
            throw invalid(c, "portico.deadlines.default", "must not exceed portico.deadlines.max (" + max
                                                          + "), got " + defaultTimeout);
        }
        return new DeadlineSettings(max, defaultTimeout, bool(c, "portico.deadlines.ignore-client-timeout"));
    }

    /** RFC 9113 section 6.9.2: every window starts at 65,535 bytes. */
    private static final int HTTP2_DEFAULT_WINDOW = 65_535;

    private static FlowControlSettings flowControl(Config c) throws InvalidConfigException {
        final int low = bytes(c, "portico.flow-control.write-buffer-low-water-mark");
        final int high = bytes(c, "portico.flow-control.write-buffer-high-water-mark");
        if (low > high) {
            // Netty's WriteBufferWaterMark rejects this too, but later and without naming the key.
            throw invalid(c, "portico.flow-control.write-buffer-low-water-mark",
                          "must not exceed portico.flow-control.write-buffer-high-water-mark (" + high
                          + " bytes), got " + low + " bytes");
        }
        final int connectionWindow = bytes(c, "portico.flow-control.http2-connection-window-bytes");
        if (connectionWindow < HTTP2_DEFAULT_WINDOW) {
            throw invalid(c, "portico.flow-control.http2-connection-window-bytes",
                          "must be at least " + HTTP2_DEFAULT_WINDOW + " bytes (the HTTP/2 initial window), got "
                          + connectionWindow + " bytes");
        }
        return new FlowControlSettings(low, high, bytes(c, "portico.flow-control.http2-initial-window-bytes"),
                                       connectionWindow);
    }

    // ---- upstream clusters ----

    private static UpstreamPoolSettings upstreamPool(Config c) throws InvalidConfigException {
        final ClusterSettings top = cluster(c, UPSTREAM, ClusterSettings.DEFAULT,
                                            endpoints(c, UPSTREAM + ".endpoints"), List.of());
        ClusterSettings defaultCluster = top;
        final List<ClusterSettings> named = new ArrayList<>();
        // What a named cluster inherits: the shared keys of portico.upstream, not its endpoints or clusters.
        final Config shared = c.getConfig(UPSTREAM).withoutPath("clusters").withoutPath("endpoints");
        final ConfigObject clusters = c.getObject(CLUSTERS);
        final Map<String, String> routeOwners = new HashMap<>();
        for (String name : new TreeSet<>(clusters.keySet())) {
            final String path = CLUSTERS + '.' + ConfigUtil.joinPath(name);
            final ConfigOrigin origin = clusters.get(name).origin();
            if (!CLUSTER_NAME.matcher(name).matches()) {
                throw invalid(path, origin, "a cluster name is 1 to 64 letters, digits, '-' or '_'");
            }
            // The cluster's own keys over the shared ones, at the cluster's path, so that messages name it.
            final Config merged = c.getConfig(path).withFallback(shared).atPath(path);
            final boolean isDefault = name.equals(ClusterSettings.DEFAULT);
            if (!merged.hasPath(path + ".endpoints")) {
                throw invalid(path, origin, "a cluster needs endpoints = [\"host:port\", ...]");
            }
            final List<HostAndPort> endpoints = endpoints(merged, path + ".endpoints");
            if (endpoints.isEmpty()) {
                throw invalid(merged, path + ".endpoints", "a cluster needs at least one host:port");
            }
            final List<String> services = new ArrayList<>();
            if (merged.hasPathOrNull(path + '.' + SERVICES)) {
                for (Entry route : strings(merged, path + '.' + SERVICES)) {
                    checkRoute(path + '.' + SERVICES, route, name, routeOwners);
                    services.add(route.value());
                }
            }
            if (isDefault) {
                if (!top.endpoints().isEmpty()) {
                    throw invalid(path, origin, "the default cluster is already given by "
                                                + "portico.upstream.endpoints; set one or the other");
                }
            } else if (services.isEmpty()) {
                throw invalid(path, origin, "a cluster needs services = [\"pkg.Service\", \"pkg.*\", ...], the "
                                            + "calls it takes (only the cluster named default takes the rest)");
            }
            final ClusterSettings cluster = cluster(merged, path, name, endpoints, services);
            if (isDefault) {
                defaultCluster = cluster;
            } else {
                named.add(cluster);
            }
        }
        return new UpstreamPoolSettings(defaultCluster, named);
    }

    private static void checkRoute(String path, Entry route, String cluster, Map<String, String> owners)
            throws InvalidConfigException {
        if (!SERVICE_ROUTE.matcher(route.value()).matches()) {
            throw invalid(path, route.origin(), "each entry must be a service name (pkg.Service) or a package "
                                                + "prefix (pkg.*), got \"" + route.value() + "\"");
        }
        final String owner = owners.putIfAbsent(route.value(), cluster);
        if (owner != null && !owner.equals(cluster)) {
            throw invalid(path, route.origin(),
                          "\"" + route.value() + "\" is already routed to cluster " + owner);
        }
    }

    /** The settings of one cluster, whose keys sit under {@code p} in {@code c}. */
    private static ClusterSettings cluster(Config c, String p, String name, List<HostAndPort> endpoints,
                                           List<String> services) throws InvalidConfigException {
        final UpstreamChannelSettings channel = new UpstreamChannelSettings(
                bool(c, p + ".plaintext"),
                positiveDuration(c, p + ".connect-timeout"),
                keepAliveTime(c, p + ".keep-alive-time"),
                positiveDuration(c, p + ".keep-alive-timeout"),
                bool(c, p + ".keep-alive-without-calls"),
                upstreamTls(c, p + ".tls"));
        return new ClusterSettings(name, endpoints, services, channel,
                                   positiveDuration(c, p + ".dns-refresh-interval"),
                                   intBetween(c, p + ".max-attempts", 1, 10),
                                   bool(c, p + ".panic-mode"),
                                   nonNegativeDuration(c, p + ".wait-for-ready-timeout"),
                                   healthCheck(c, p + ".health-check"),
                                   outlierDetection(c, p + ".outlier-detection"));
    }

    /**
     * Rejected below grpc-java's floor rather than raised silently: a value that low only ever comes from
     * someone expecting more PINGs than grpc-java sends, and servers permit far fewer (gRFC A8).
     */
    private static Duration keepAliveTime(Config c, String path) throws InvalidConfigException {
        final Duration d = positiveDuration(c, path);
        if (d.compareTo(UpstreamChannelSettings.MIN_KEEP_ALIVE_TIME) < 0) {
            throw invalid(c, path, "must be at least 10s (grpc-java sends keep-alive PINGs at most every 10s, "
                                   + "and default gRPC servers permit one per 5m), got " + render(c, path));
        }
        return d;
    }

    private static UpstreamTlsSettings upstreamTls(Config c, String p) throws InvalidConfigException {
        final String certKey = p + ".cert-chain-file";
        final String keyKey = p + ".private-key-file";
        final Optional<Path> cert = optionalReadableFile(c, certKey);
        final Optional<Path> key = optionalReadableFile(c, keyKey);
        if (cert.isPresent() != key.isPresent()) {
            final String set = cert.isPresent() ? certKey : keyKey;
            final String unset = cert.isPresent() ? keyKey : certKey;
            throw invalid(c, set, "is set but " + unset + " is not; set both for mutual TLS, or neither");
        }
        final String trustKey = p + ".trust-cert-collection-file";
        final Optional<Path> trust = optionalReadableFile(c, trustKey);
        if (trust.isPresent()) {
            try {
                PemReader.certificates(trust.get());
            } catch (PemReader.UnreadablePem e) {
                throw invalid(c, trustKey, e.getMessage());
            }
        }
        final Optional<TlsKeyMaterial> material = cert.isPresent()
                ? Optional.of(keyMaterial(c, p, cert.get(), key.orElseThrow())) : Optional.empty();
        return new UpstreamTlsSettings(trust, cert, key, optionalNonEmptyString(c, p + ".authority"), material);
    }

    private static HealthCheckSettings healthCheck(Config c, String p) throws InvalidConfigException {
        return new HealthCheckSettings(
                bool(c, p + ".enabled"),
                enumValue(c, p + ".mode", HealthCheckMode.class),
                string(c, p + ".service"),
                positiveDuration(c, p + ".interval"),
                positiveDuration(c, p + ".timeout"),
                intBetween(c, p + ".healthy-threshold", 1, 100),
                intBetween(c, p + ".unhealthy-threshold", 1, 100),
                enumValue(c, p + ".unimplemented", UnimplementedHealthRule.class));
    }

    private static OutlierDetectionSettings outlierDetection(Config c, String p) throws InvalidConfigException {
        final Duration base = positiveDuration(c, p + ".base-ejection-time");
        final Duration max = positiveDuration(c, p + ".max-ejection-time");
        if (max.compareTo(base) < 0) {
            throw invalid(c, p + ".max-ejection-time", "must be at least " + p + ".base-ejection-time (" + base
                                                       + "), got " + max);
        }
        return new OutlierDetectionSettings(
                bool(c, p + ".enabled"),
                intBetween(c, p + ".consecutive-failures", 1, 1000),
                base, max,
                intBetween(c, p + ".max-ejection-percent", 0, 100));
    }

    // ---- typed getters: each turns typesafe's exceptions into one message about the key ----

    /** An enum constant written in lowercase with dashes: {@code healthy-if-reachable}. */
    private static <E extends Enum<E>> E enumValue(Config c, String path, Class<E> type)
            throws InvalidConfigException {
        final String value = string(c, path);
        final List<String> names = new ArrayList<>();
        for (E constant : type.getEnumConstants()) {
            final String name = constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
            if (name.equals(value)) {
                return constant;
            }
            names.add(name);
        }
        throw invalid(c, path, "must be one of " + String.join(", ", names) + ", got \"" + value + "\"");
    }

    /** Unset (null) is empty; an empty string is an error, since it cannot be what was meant. */
    private static Optional<String> optionalNonEmptyString(Config c, String path)
            throws InvalidConfigException {
        if (c.getIsNull(path)) {
            return Optional.empty();
        }
        final String value = string(c, path);
        if (value.isBlank()) {
            throw invalid(c, path, "must not be empty; null leaves it unset");
        }
        return Optional.of(value);
    }

    private static int intBetween(Config c, String path, int min, int max) throws InvalidConfigException {
        final Number n;
        try {
            n = c.getNumber(path);
        } catch (ConfigException.WrongType | ConfigException.BadValue e) {
            throw invalid(c, path, "must be an integer, got " + render(c, path), e);
        } catch (ConfigException.Null e) {
            throw invalid(c, path, "must be an integer, got null", e);
        }
        // getNumber also yields doubles (1.5, 1e20); getInt would truncate the first and fail on the second.
        if (!(n instanceof Integer || n instanceof Long)) {
            throw invalid(c, path, "must be an integer, got " + render(c, path));
        }
        if (n.longValue() < min || n.longValue() > max) {
            throw invalid(c, path, "must be between " + min + " and " + max + ", got " + n);
        }
        return n.intValue();
    }

    /** A positive size that fits in an int, as Netty and grpc-java take sizes. */
    private static int bytes(Config c, String path) throws InvalidConfigException {
        final long bytes;
        try {
            bytes = c.getBytes(path);
        } catch (ConfigException.WrongType | ConfigException.BadValue e) {
            // BadValue also covers negative sizes, which typesafe refuses to construct.
            throw invalid(c, path, "must be a positive size such as 4 MiB or 65536, got " + render(c, path), e);
        } catch (ConfigException.Null e) {
            throw invalid(c, path, "must be a positive size such as 4 MiB or 65536, got null", e);
        }
        if (bytes <= 0 || bytes > Integer.MAX_VALUE) {
            throw invalid(c, path, "must be between 1 byte and " + Integer.MAX_VALUE
                                   + " bytes (2 GiB - 1), got " + render(c, path));
        }
        return (int) bytes;
    }

    /** Like {@link #bytes}, but 0 is allowed: for thresholds where 0 means "always". */
    private static int bytesOrZero(Config c, String path) throws InvalidConfigException {
        final long bytes;
        try {
            bytes = c.getBytes(path);
        } catch (ConfigException.WrongType | ConfigException.BadValue e) {
            throw invalid(c, path, "must be a size such as 1 KiB or 0, got " + render(c, path), e);
        } catch (ConfigException.Null e) {
            throw invalid(c, path, "must be a size such as 1 KiB or 0, got null", e);
        }
        if (bytes < 0 || bytes > Integer.MAX_VALUE) {
            throw invalid(c, path, "must be between 0 and " + Integer.MAX_VALUE
                                   + " bytes (2 GiB - 1), got " + render(c, path));
        }
        return (int) bytes;
    }

    private static Duration positiveDuration(Config c, String path) throws InvalidConfigException {
        final Duration d = duration(c, path, "positive");
        if (d.isZero()) {
            throw invalid(c, path, "must be a positive duration such as 5s or 500ms, got " + render(c, path));
        }
        return d;
    }

    private static Duration nonNegativeDuration(Config c, String path) throws InvalidConfigException {
        return duration(c, path, "non-negative");
    }

    private static Duration duration(Config c, String path, String sign) throws InvalidConfigException {
        final String expected = "must be a " + sign + " duration such as 5s or 500ms, got ";
        final Duration d;
        try {
            d = c.getDuration(path);
        } catch (ConfigException.WrongType | ConfigException.BadValue e) {
            throw invalid(c, path, expected + render(c, path), e);
        } catch (ConfigException.Null e) {
            throw invalid(c, path, expected + "null", e);
        }
        if (d.isNegative()) {
            throw invalid(c, path, expected + render(c, path));
        }
        return d;
    }

    /** At most this many histogram buckets: each is one series per protocol, method and code. */
    private static final int MAX_LATENCY_BUCKETS = 50;

    private static List<Duration> latencyBuckets(Config c, String path) throws InvalidConfigException {
        final String expected = "must be a list of 1 to " + MAX_LATENCY_BUCKETS
                                + " increasing positive durations such as [5ms, 50ms, 1s], got ";
        final List<Duration> buckets;
        try {
            buckets = c.getDurationList(path);
        } catch (ConfigException.WrongType | ConfigException.BadValue e) {
            throw invalid(c, path, expected + render(c, path), e);
        } catch (ConfigException.Null e) {
            throw invalid(c, path, expected + "null", e);
        }
        if (buckets.isEmpty() || buckets.size() > MAX_LATENCY_BUCKETS) {
            throw invalid(c, path, expected + render(c, path));
        }
        Duration previous = Duration.ZERO;
        for (Duration bucket : buckets) {
            if (bucket.compareTo(previous) <= 0) {
                throw invalid(c, path, expected + render(c, path));
            }
            previous = bucket;
        }
        return buckets;
    }

    private static boolean bool(Config c, String path) throws InvalidConfigException {
        try {
            return c.getBoolean(path);
        } catch (ConfigException.WrongType | ConfigException.BadValue e) {
            throw invalid(c, path, "must be true or false, got " + render(c, path), e);
        } catch (ConfigException.Null e) {
            throw invalid(c, path, "must be true or false, got null", e);
        }
    }

    private static String nonEmptyString(Config c, String path) throws InvalidConfigException {
        final String s = string(c, path);
        if (s.isBlank()) {
            throw invalid(c, path, "must not be empty");
        }
        return s;
    }

    private static String string(Config c, String path) throws InvalidConfigException {
        try {
            return c.getString(path);
        } catch (ConfigException.WrongType | ConfigException.BadValue e) {
            throw invalid(c, path, "must be a string, got " + render(c, path), e);
        } catch (ConfigException.Null e) {
            throw invalid(c, path, "must be a string, got null", e);
        }
    }

    /** Unset (null) is empty; otherwise the file must be readable now, not at the first handshake. */
    private static Optional<Path> optionalReadableFile(Config c, String path) throws InvalidConfigException {
        if (c.getIsNull(path)) {
            return Optional.empty();
        }
        final String name = string(c, path);
        if (name.isEmpty()) {
            throw invalid(c, path, "must be a file path, or null to leave it unset; got \"\"");
        }
        return Optional.of(readableFile(path, c.getValue(path).origin(), name));
    }

    /** A list of paths (or one comma-separated string), each a file that is readable now. */
    private static List<Path> readableFiles(Config c, String path) throws InvalidConfigException {
        final List<Path> files = new ArrayList<>();
        for (Entry entry : strings(c, path)) {
            files.add(readableFile(path, entry.origin(), entry.value()));
        }
        return files;
    }

    /** {@code name} as a path; relative paths stay relative, resolved against the working directory. */
    private static Path readableFile(String path, ConfigOrigin origin, String name)
            throws InvalidConfigException {
        final Path file;
        try {
            file = Path.of(name);
        } catch (InvalidPathException e) {
            throw invalid(path, origin, "is not a valid path: " + e.getMessage(), e);
        }
        if (!Files.isRegularFile(file)) {
            throw invalid(path, origin, "file " + file.toAbsolutePath() + " does not exist or is not a file");
        }
        if (!Files.isReadable(file)) {
            throw invalid(path, origin, "file " + file.toAbsolutePath() + " is not readable");
        }
        return file;
    }

    private static List<HostAndPort> endpoints(Config c, String path) throws InvalidConfigException {
        final List<HostAndPort> endpoints = new ArrayList<>();
        for (Entry entry : strings(c, path)) {
            try {
                endpoints.add(HostAndPort.parse(entry.value()));
            } catch (IllegalArgumentException e) {
                throw invalid(path, entry.origin(), "each endpoint must be host:port or [ipv6]:port; "
                                                    + e.getMessage(), e);
            }
        }
        return endpoints;
    }

    private static List<String> headerNames(Config c, String path) throws InvalidConfigException {
        final List<String> names = new ArrayList<>();
        for (Entry entry : strings(c, path)) {
            if (!TOKEN.matcher(entry.value()).matches()) {
                throw invalid(path, entry.origin(), "each entry must be an HTTP header name, got \""
                                                    + entry.value() + "\"");
            }
            // HTTP/2 requires lowercase field names (RFC 9113 section 8.2.1); store them the way they go out.
            names.add(entry.value().toLowerCase(Locale.ROOT));
        }
        return names;
    }

    /**
     * A list of strings, or one comma-separated string ("a, b"), which is how environment variables and
     * {@code -D} set lists. Entries are trimmed and blanks dropped; each keeps its own origin for messages.
     */
    private static List<Entry> strings(Config c, String path) throws InvalidConfigException {
        final ConfigValue value;
        try {
            value = c.getValue(path);
        } catch (ConfigException.Null e) {
            throw invalid(c, path, "must be a list of strings, got null", e);
        }
        final List<Entry> entries = new ArrayList<>();
        if (value.valueType() == ConfigValueType.STRING) {
            for (String part : ((String) value.unwrapped()).split(",", -1)) {
                if (!part.isBlank()) {
                    entries.add(new Entry(part.strip(), value.origin()));
                }
            }
            return entries;
        }
        final ConfigList list;
        try {
            list = c.getList(path);  // also converts an object with keys 0, 1, ... (the -D form of a list)
        } catch (ConfigException.WrongType e) {
            throw invalid(c, path, "must be a list of strings, got " + render(c, path), e);
        }
        for (ConfigValue element : list) {
            switch (element.valueType()) {
                case STRING, NUMBER, BOOLEAN -> entries.add(
                        new Entry(String.valueOf(element.unwrapped()).strip(), element.origin()));
                case NULL, OBJECT, LIST -> throw invalid(path, element.origin(),
                                                         "each entry must be a string, got " + render(element));
            }
        }
        return entries;
    }

    /** One list entry, with the origin of the value it came from. */
    private record Entry(String value, ConfigOrigin origin) {
    }

    // ---- messages ----

    private static InvalidConfigException invalid(Config c, String path, String problem) {
        return invalid(c, path, problem, null);
    }

    private static InvalidConfigException invalid(Config c, String path, String problem, Throwable cause) {
        // c.getValue throws on null values; their origin is not kept by typesafe's Null exception either.
        final ConfigOrigin origin = c.getIsNull(path) ? null : c.getValue(path).origin();
        return invalid(path, origin, problem, cause);
    }

    private static InvalidConfigException invalid(String path, ConfigOrigin origin, String problem) {
        return invalid(path, origin, problem, null);
    }

    /** The one message format: {@code portico.listen.port (portico.conf:3): must be ..., got ...}. */
    private static InvalidConfigException invalid(String path, ConfigOrigin origin, String problem,
                                                  Throwable cause) {
        final String where = origin == null ? "" : " (" + where(origin) + ")";
        return new InvalidConfigException(path + where + ": " + problem, cause);
    }

    /** {@code file:line}, {@code reference.conf:line}, or a description such as "environment variable X". */
    private static String where(ConfigOrigin origin) {
        // A resource loaded from target/classes also has a filename; its resource name is the useful part.
        final String source = origin.resource() != null ? origin.resource() : origin.filename();
        if (source == null) {
            return origin.description();
        }
        return origin.lineNumber() >= 0 ? source + ':' + origin.lineNumber() : source;
    }

    private static String render(Config c, String path) {
        return c.getIsNull(path) ? "null" : render(c.getValue(path));
    }

    private static String render(ConfigValue value) {
        final String rendered = value.render(ConfigRenderOptions.concise());
        // Keep one-line messages one line, even when someone puts a whole object where a port goes.
        return rendered.length() > 80 ? rendered.substring(0, 77) + "..." : rendered;
    }

    private static String values(List<Entry> entries) {
        return entries.stream().map(Entry::value).toList().toString();
    }
}
