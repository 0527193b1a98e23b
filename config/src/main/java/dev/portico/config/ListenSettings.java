package dev.portico.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Where the gateway accepts client connections ({@code portico.listen}).
 *
 * @param host                address to bind, for example {@code 0.0.0.0}
 * @param port                0..65535; 0 asks the OS for an ephemeral port
 * @param shutdownGracePeriod how long in-flight calls may run after shutdown starts; never negative
 * @param timeouts            how long a connection may keep Portico waiting
 * @param connectionLimits    how many client connections are kept open
 */
public record ListenSettings(String host, int port, Duration shutdownGracePeriod, TimeoutSettings timeouts,
                             ConnectionLimitSettings connectionLimits) {

    public ListenSettings {
        requireNonNull(host, "host");
        requireNonNull(shutdownGracePeriod, "shutdownGracePeriod");
        requireNonNull(timeouts, "timeouts");
        requireNonNull(connectionLimits, "connectionLimits");
    }
}
