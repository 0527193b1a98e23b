package dev.portico.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How Portico connects to the endpoints of one upstream cluster: one grpc-java channel per endpoint.
 *
 * @param plaintext        true for h2c; false for TLS configured by {@code tls}
 * @param connectTimeout   positive; TCP (and TLS) connection set-up
 * @param keepAliveTime    at least {@link #MIN_KEEP_ALIVE_TIME}: time without reads before an HTTP/2 PING
 * @param keepAliveTimeout positive; a PING unanswered this long closes the connection
 * @param keepAliveWithoutCalls true: PINGs also on connections without calls in flight
 * @param tls              used only when {@code plaintext} is false
 */
public record UpstreamChannelSettings(boolean plaintext, Duration connectTimeout, Duration keepAliveTime,
                                      Duration keepAliveTimeout, boolean keepAliveWithoutCalls,
                                      UpstreamTlsSettings tls) {

    /** grpc-java's floor (KeepAliveManager): a shorter keep-alive time is silently raised to this. */
    public static final Duration MIN_KEEP_ALIVE_TIME = Duration.ofSeconds(10);

    public UpstreamChannelSettings {
        requireNonNull(connectTimeout, "connectTimeout");
        requireNonNull(keepAliveTime, "keepAliveTime");
        requireNonNull(keepAliveTimeout, "keepAliveTimeout");
        requireNonNull(tls, "tls");
        if (keepAliveTime.compareTo(MIN_KEEP_ALIVE_TIME) < 0) {
            throw new IllegalArgumentException("keepAliveTime must be at least " + MIN_KEEP_ALIVE_TIME);
        }
    }

    /** The same settings over h2c. */
    public UpstreamChannelSettings asPlaintext() {
        return new UpstreamChannelSettings(true, connectTimeout, keepAliveTime, keepAliveTimeout,
                                           keepAliveWithoutCalls, tls);
    }
}
