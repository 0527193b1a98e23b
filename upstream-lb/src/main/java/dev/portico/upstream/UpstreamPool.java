package dev.portico.upstream;

/**
 * The upstream gRPC endpoints Portico forwards calls to.
 *
 * <p>Thread-safe: {@link #pick} is called from every front-end event loop at once and never blocks.
 */
public interface UpstreamPool extends AutoCloseable {

    /** Chooses the endpoint for the next call to {@code fullMethodName} ({@code package.Service/Method}). */
    PickResult pick(String fullMethodName);

    /** Stops accepting picks and shuts every channel down, letting calls in flight finish. */
    @Override
    void close();
}
