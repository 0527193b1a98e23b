package dev.portico.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How Portico connects to the endpoints of one upstream cluster: one grpc-java channel per endpoint.
 *
 * @param plaintext        true for h2c; false for TLS configured by {@code tls}
 * @param connectTimeout   positive; TCP (and TLS) connection set-up
 * @param keepAliveTime    positive interval between HTTP/2 PINGs on an idle connection
 * @param keepAliveTimeout positive; a PING unanswered this long closes the connection
 * @param tls              used only when {@code plaintext} is false
 */
public record UpstreamChannelSettings(boolean plaintext, Duration connectTimeout, Duration keepAliveTime,
                                      Duration keepAliveTimeout, UpstreamTlsSettings tls) {

    public UpstreamChannelSettings {
        requireNonNull(connectTimeout, "connectTimeout");
        requireNonNull(keepAliveTime, "keepAliveTime");
        requireNonNull(keepAliveTimeout, "keepAliveTimeout");
        requireNonNull(tls, "tls");
    }

    /** The same settings over h2c. */
    public UpstreamChannelSettings asPlaintext() {
        return new UpstreamChannelSettings(true, connectTimeout, keepAliveTime, keepAliveTimeout, tls);
    }
}
