package dev.portico.proxy.cors;

import static java.util.Objects.requireNonNull;

import dev.portico.proxy.metrics.CorsMetrics;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.net.SocketAddress;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CORS answers of Portico, for both HTTP versions: preflights answered without the upstream, and the
 * grant added to every response to an allowed origin. A disallowed origin gets no grant (and a 403 to its
 * preflight). Preflights and requests from disallowed origins are counted ({@link CorsMetrics}).
 *
 * <p>Every response header a call returns is exposed to scripts (besides the configured ones), so that
 * upstream metadata such as {@code x-request-id} is readable from a browser without configuration.
 */
public final class CorsResponses {
    private static final Logger log = LoggerFactory.getLogger(CorsResponses.class);
    private static final AsciiString REQUEST_PRIVATE_NETWORK =
            AsciiString.cached("access-control-request-private-network");
    private static final AsciiString ALLOW_PRIVATE_NETWORK =
            AsciiString.cached("access-control-allow-private-network");
    private static final String PREFLIGHT_VARY = "origin, access-control-request-method, "
            + "access-control-request-headers, access-control-request-private-network";

    private final CorsPolicy policy;
    private final CorsMetrics metrics;

    public CorsResponses(CorsPolicy policy, CorsMetrics metrics) {
        this.policy = requireNonNull(policy, "policy");
        this.metrics = requireNonNull(metrics, "metrics");
    }

    /**
     * The Origin of {@code request}, or null for same-origin and non-browser requests; a request (preflight
     * or not) from an origin the policy does not allow is counted here.
     */
    public String origin(HttpRequest request) {
        final String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        if (origin != null && !policy.allows(origin)) {
            metrics.rejected();
        }
        return origin;
    }

    /** Whether {@code request} is a CORS preflight, answered here. */
    public static boolean isPreflight(HttpRequest request) {
        return HttpMethod.OPTIONS.equals(request.method())
               && request.headers().contains(HttpHeaderNames.ORIGIN)
               && request.headers().contains(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD);
    }

    /** The answer to a preflight from {@code origin}: the grant, or 403 for an origin not allowed. */
    public FullHttpResponse preflight(HttpRequest request, String origin, SocketAddress client) {
        metrics.preflight();
        final HttpHeaders asked = request.headers();
        final FullHttpResponse response;
        if (policy.allows(origin)) {
            response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT);
            final HttpHeaders headers = response.headers();
            grant(headers, origin);
            headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, CorsPolicy.ALLOWED_METHODS);
            headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS,
                        policy.allowedHeaders(asked.get(HttpHeaderNames.ACCESS_CONTROL_REQUEST_HEADERS)));
            headers.set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, policy.maxAgeSeconds());
            // Private Network Access: a public page calling Portico on a private address asks first.
            if (policy.allowPrivateNetwork() && "true".equalsIgnoreCase(asked.get(REQUEST_PRIVATE_NETWORK))) {
                headers.set(ALLOW_PRIVATE_NETWORK, "true");
            }
        } else {
            log.warn("refused CORS preflight for {} from origin {} ({})", request.uri(), origin,
                     client);
            response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.FORBIDDEN);
        }
        response.headers().set(HttpHeaderNames.VARY, PREFLIGHT_VARY);
        HttpUtil.setContentLength(response, 0);
        return response;
    }

    /** Adds the CORS grant for {@code origin} (null: no browser's cross-origin request) to a response head. */
    public void grantTo(HttpResponse response, String origin) {
        if (origin == null) {
            return;
        }
        final HttpHeaders headers = response.headers();
        headers.add(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN);
        if (policy.allows(origin)) {
            grant(headers, origin);
            headers.set(HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, exposedHeaders(headers));
        }
    }

    private void grant(HttpHeaders headers, String origin) {
        headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, policy.allowOriginValue(origin));
        if (policy.allowCredentials()) {
            headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
        }
    }

    /** The configured exposed headers plus every header of this response that scripts could not read. */
    private String exposedHeaders(HttpHeaders headers) {
        final Set<String> exposed = new LinkedHashSet<>(policy.exposedHeaders());
        for (String header : headers.names()) {
            final String name = header.toLowerCase(Locale.ROOT);
            if (!name.startsWith("access-control-") && !name.equals("vary")) {
                exposed.add(name);
            }
        }
        return String.join(", ", exposed);
    }
}
