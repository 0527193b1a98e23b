package dev.portico.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;

/**
 * Cross-origin policy for browser clients ({@code portico.cors}).
 *
 * <p>Each allowed origin is exactly one of: {@code *} (then it is the only entry and credentials are off), an
 * exact lowercase origin {@code scheme://host[:port]}, or a subdomain pattern {@code scheme://*.domain[:port]}
 * that matches any host ending in {@code .domain} (not {@code domain} itself). Header names are lowercase
 * HTTP tokens and are added to the gRPC-Web/Connect headers the proxy always allows and exposes.
 *
 * @param maxAge how long browsers may cache a preflight answer; never negative
 */
public record CorsSettings(List<String> allowedOrigins, List<String> allowedHeaders,
                           List<String> exposedHeaders, boolean allowCredentials, Duration maxAge,
                           boolean allowPrivateNetwork) {

    public CorsSettings {
        allowedOrigins = List.copyOf(allowedOrigins);
        allowedHeaders = List.copyOf(allowedHeaders);
        exposedHeaders = List.copyOf(exposedHeaders);
        requireNonNull(maxAge, "maxAge");
    }
}
