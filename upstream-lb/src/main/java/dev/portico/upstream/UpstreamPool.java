package dev.portico.upstream;

import java.util.List;
import java.util.Optional;

/**
 * The upstream gRPC endpoints Portico forwards calls to, grouped in clusters that calls are routed to by
 * service name.
 *
 * <p>Thread-safe: {@link #pick} and {@link #retry} are called from every front-end event loop at once and
 * never block.
 */
public interface UpstreamPool extends AutoCloseable {

    /**
     * Chooses the endpoint for the next call to {@code fullMethodName} ({@code package.Service/Method}):
     * {@link PickResult.NoRoute} when no cluster serves the service, {@link PickResult.NoEndpoint} when its
     * cluster has no endpoint that can take the call.
     */
    PickResult pick(String fullMethodName);

    /**
     * An endpoint to ask about {@code service} ({@code package.Service}) itself, for its schema (server
     * reflection), as {@link #pick} would answer but without taking a call's turn: lookups made in the
     * background between calls do not shift which endpoint the next call gets.
     */
    default PickResult pickForLookup(String service) {
        return pick(service + "/ServerReflectionInfo");
    }

    /**
     * Chooses another endpoint for a call whose attempts so far, on {@code tried}, failed before anything of
     * the call reached an upstream: an endpoint of the same cluster not in {@code tried}, or
     * {@link PickResult.NoEndpoint} when there is none or the cluster's attempts are used up.
     */
    default PickResult retry(String fullMethodName, List<Endpoint> tried) {
        return new PickResult.NoEndpoint("this upstream pool does not retry calls");
    }

    /** The name of the cluster that serves {@code service} ({@code package.Service}), if any. */
    default Optional<String> clusterFor(String service) {
        return Optional.empty();
    }

    /** Every cluster's endpoints by state, as of the last change. */
    default List<ClusterHealth> clusters() {
        return List.of();
    }

    /**
     * Registers {@code listener} to run after any endpoint changes state, joins or leaves. It runs on the
     * pool's own thread and must not block.
     */
    default void onStateChange(Runnable listener) {
    }

    /** Stops accepting picks and shuts every channel down, letting calls in flight finish. */
    @Override
    void close();
}
