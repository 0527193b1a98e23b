package dev.portico.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Where the gateway accepts client connections ({@code portico.listen}).
 *
 * @param host                address to bind, for example {@code 0.0.0.0}
 * @param port                0..65535; 0 asks the OS for an ephemeral port
 * @param shutdownGracePeriod how long in-flight calls may run after shutdown starts; never negative
 */
public record ListenSettings(String host, int port, Duration shutdownGracePeriod) {

    public ListenSettings {
        requireNonNull(host, "host");
        requireNonNull(shutdownGracePeriod, "shutdownGracePeriod");
    }
}
