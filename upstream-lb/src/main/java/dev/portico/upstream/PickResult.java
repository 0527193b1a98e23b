package dev.portico.upstream;

import static java.util.Objects.requireNonNull;

import dev.portico.config.HostAndPort;
import io.grpc.Channel;

/** The outcome of choosing an upstream endpoint for one call. */
public sealed interface PickResult {

    /** An endpoint was chosen; the call goes out on its channel. */
    record Picked(HostAndPort endpoint, Channel channel) implements PickResult {
        public Picked {
            requireNonNull(endpoint, "endpoint");
            requireNonNull(channel, "channel");
        }
    }

    /** No endpoint can take the call; {@code reason} is shown to the client with UNAVAILABLE. */
    record NoEndpoint(String reason) implements PickResult {
        public NoEndpoint {
            requireNonNull(reason, "reason");
        }
    }
}
