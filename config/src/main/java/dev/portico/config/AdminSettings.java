package dev.portico.config;

import static java.util.Objects.requireNonNull;

/**
 * The admin listener that serves {@code /metrics}, {@code /healthz}, {@code /readyz} and, when enabled, the
 * API explorer ({@code portico.admin}).
 *
 * @param enabled  whether to start it at all
 * @param host     address to bind
 * @param port     0..65535; 0 asks the OS for an ephemeral port
 * @param explorer the API explorer page
 */
public record AdminSettings(boolean enabled, String host, int port, ExplorerSettings explorer) {

    public AdminSettings {
        requireNonNull(host, "host");
        requireNonNull(explorer, "explorer");
    }

    /** The same listener with the API explorer switched on: demo mode. */
    public AdminSettings withExplorerEnabled() {
        return new AdminSettings(enabled, host, port, explorer.withEnabled());
    }
}
