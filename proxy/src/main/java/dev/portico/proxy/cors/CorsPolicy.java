package dev.portico.proxy.cors;

import static java.util.Objects.requireNonNull;

import dev.portico.config.CorsSettings;
import dev.portico.proxy.wire.HeaderNames;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which browser origins may call Portico, and what a CORS grant says. Immutable and thread-safe.
 *
 * <p>The built-in lists are what gRPC-Web and Connect clients need (connectrpc.com/docs/cors): a user's
 * configuration only adds to them. {@code *} as an allowed header lets a browser send any header its
 * preflight asks for, which custom metadata needs.
 */
public final class CorsPolicy {
    private static final List<String> BUILT_IN_ALLOWED_HEADERS = List.of(
            "content-type", HeaderNames.GRPC_TIMEOUT.toString(), HeaderNames.X_GRPC_WEB.toString(),
            HeaderNames.X_USER_AGENT.toString(), HeaderNames.GRPC_ENCODING.toString(),
            HeaderNames.GRPC_ACCEPT_ENCODING.toString(), HeaderNames.CONNECT_PROTOCOL_VERSION.toString(),
            HeaderNames.CONNECT_TIMEOUT_MS.toString(), HeaderNames.CONNECT_CONTENT_ENCODING.toString(),
            HeaderNames.CONNECT_ACCEPT_ENCODING.toString());
    private static final List<String> BUILT_IN_EXPOSED_HEADERS = List.of(
            HeaderNames.GRPC_STATUS.toString(), HeaderNames.GRPC_MESSAGE.toString(),
            HeaderNames.GRPC_STATUS_DETAILS_BIN.toString(), HeaderNames.GRPC_ENCODING.toString(),
            HeaderNames.GRPC_ACCEPT_ENCODING.toString(), HeaderNames.CONNECT_CONTENT_ENCODING.toString(),
            HeaderNames.CONNECT_ACCEPT_ENCODING.toString());
    static final String ALLOWED_METHODS = "POST, GET, OPTIONS";

    private final boolean anyOrigin;
    private final Set<String> exactOrigins;
    private final List<OriginPattern> originPatterns;
    private final boolean anyHeader;
    private final String allowedHeaders;
    private final Set<String> exposedHeaders;
    private final boolean allowCredentials;
    private final long maxAgeSeconds;
    private final boolean allowPrivateNetwork;

    /** A {@code scheme://*.domain[:port]} pattern: any host below {@code domain}. */
    private record OriginPattern(String prefix, String suffix) {
        boolean matches(String origin) {
            return origin.startsWith(prefix) && origin.endsWith(suffix)
                   && origin.length() > prefix.length() + suffix.length();
        }
    }

    public CorsPolicy(CorsSettings settings) {
        requireNonNull(settings, "settings");
        boolean any = false;
        final Set<String> exact = new LinkedHashSet<>();
        final List<OriginPattern> patterns = new ArrayList<>();
        for (String origin : settings.allowedOrigins()) {
            final String lower = origin.toLowerCase(Locale.ROOT);
            final int wildcard = lower.indexOf("://*.");
            if ("*".equals(lower)) {
                any = true;
            } else if (wildcard > 0) {
                // "https://*.example.com:8443" matches "https://a.b.example.com:8443", not "https://example.com".
                final String afterStar = lower.substring(wildcard + 4);
                patterns.add(new OriginPattern(lower.substring(0, wildcard + 3), afterStar));
            } else {
                exact.add(lower);
            }
        }
        this.anyOrigin = any;
        this.exactOrigins = Set.copyOf(exact);
        this.originPatterns = List.copyOf(patterns);
        final Set<String> allowed = new LinkedHashSet<>(BUILT_IN_ALLOWED_HEADERS);
        boolean anyHeaderAllowed = false;
        for (String header : settings.allowedHeaders()) {
            if ("*".equals(header)) {
                anyHeaderAllowed = true;
            } else {
                allowed.add(header.toLowerCase(Locale.ROOT));
            }
        }
        this.anyHeader = anyHeaderAllowed;
        this.allowedHeaders = String.join(", ", allowed);
        final Set<String> exposed = new LinkedHashSet<>(BUILT_IN_EXPOSED_HEADERS);
        settings.exposedHeaders().forEach(h -> exposed.add(h.toLowerCase(Locale.ROOT)));
        this.exposedHeaders = Set.copyOf(exposed);
        this.allowCredentials = settings.allowCredentials();
        this.maxAgeSeconds = settings.maxAge().toSeconds();
        this.allowPrivateNetwork = settings.allowPrivateNetwork();
    }

    public boolean allows(String origin) {
        final String lower = origin.toLowerCase(Locale.ROOT);
        if (anyOrigin || exactOrigins.contains(lower)) {
            return true;
        }
        for (OriginPattern pattern : originPatterns) {
            if (pattern.matches(lower)) {
                return true;
            }
        }
        return false;
    }

    /** The {@code Access-Control-Allow-Origin} value for an allowed origin. */
    String allowOriginValue(String origin) {
        // "*" cannot go with credentials (the config forbids that pair), and it lets caches share answers.
        return anyOrigin && !allowCredentials ? "*" : origin;
    }

    /** The headers a preflight grants: the configured list, or all requested when {@code *} is configured. */
    String allowedHeaders(String requested) {
        if (anyHeader && requested != null && !requested.isBlank()) {
            return allowedHeaders + ", " + requested;
        }
        return allowedHeaders;
    }

    /** Whether a response header is exposed to scripts whatever the response, beyond the dynamic ones. */
    Set<String> exposedHeaders() {
        return exposedHeaders;
    }

    boolean allowCredentials() {
        return allowCredentials;
    }

    long maxAgeSeconds() {
        return maxAgeSeconds;
    }

    boolean allowPrivateNetwork() {
        return allowPrivateNetwork;
    }
}
