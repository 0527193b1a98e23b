package dev.portico.config;

import static java.util.Objects.requireNonNull;

/**
 * The admin listener that serves {@code /metrics} ({@code portico.admin}).
 *
 * @param enabled whether to start it at all
 * @param host    address to bind
 * @param port    0..65535; 0 asks the OS for an ephemeral port
 */
public record AdminSettings(boolean enabled, String host, int port) {

    public AdminSettings {
        requireNonNull(host, "host");
    }
}
