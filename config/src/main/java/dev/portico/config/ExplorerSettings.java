package dev.portico.config;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * The API explorer, a web page on the admin listener that lists the upstream's services and calls them
 * through Portico's listener ({@code portico.admin.explorer}).
 *
 * @param enabled  whether the admin listener serves the page and its JSON endpoints; off, they answer 404
 * @param frontUrl the base URL the page sends its calls to ({@code http[s]://host[:port][/path]}, no trailing
 *                 slash); empty: the host the browser reached the admin listener on, with Portico's listener
 *                 port and scheme
 */
public record ExplorerSettings(boolean enabled, Optional<String> frontUrl) {

    public ExplorerSettings {
        requireNonNull(frontUrl, "frontUrl");
    }

    /** The same settings with the page switched on: demo mode. */
    public ExplorerSettings withEnabled() {
        return new ExplorerSettings(true, frontUrl);
    }
}
