package dev.portico.upstream;

import static java.util.Objects.requireNonNull;

import io.grpc.Channel;
import io.grpc.Status;

/** The outcome of choosing an upstream endpoint for one call. */
public sealed interface PickResult {

    /**
     * An endpoint was chosen; the call goes out on its channel, and reports how it ended with
     * {@link #onCallClosed}.
     */
    record Picked(Endpoint endpoint, Channel channel, CallOutcomeListener outcomes) implements PickResult {
        public Picked {
            requireNonNull(endpoint, "endpoint");
            requireNonNull(channel, "channel");
            requireNonNull(outcomes, "outcomes");
        }

        /** A pick whose outcomes nobody counts. */
        public Picked(Endpoint endpoint, Channel channel) {
            this(endpoint, channel, CallOutcomeListener.IGNORE);
        }

        /** A call attempt on this pick started. */
        public void onCallStarted() {
            outcomes.onCallStarted();
        }

        /** The call attempt made on this pick ended with {@code status}; feeds passive ejection. */
        public void onCallClosed(Status status) {
            outcomes.onCallClosed(status);
        }
    }

    /**
     * The call's cluster has no endpoint that can take it; {@code reason} names the cluster and is shown to
     * the client with UNAVAILABLE.
     */
    record NoEndpoint(String reason) implements PickResult {
        public NoEndpoint {
            requireNonNull(reason, "reason");
        }
    }

    /**
     * No cluster serves the call's service (and there is no default cluster); {@code reason} is shown to the
     * client with UNIMPLEMENTED. No upstream was asked.
     */
    record NoRoute(String reason) implements PickResult {
        public NoRoute {
            requireNonNull(reason, "reason");
        }
    }
}
