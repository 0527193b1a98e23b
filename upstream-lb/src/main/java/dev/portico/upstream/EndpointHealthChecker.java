package dev.portico.upstream;

import dev.portico.config.HealthCheckSettings;
import io.grpc.Channel;

/**
 * Active health checking of endpoints, implemented outside this module ({@code dev.portico.health}). The pool
 * starts a check for each endpoint of a cluster whose health checks are enabled, when the endpoint joins,
 * and closes it when the endpoint leaves or the pool closes.
 */
public interface EndpointHealthChecker extends AutoCloseable {

    /**
     * Starts checking {@code endpoint} over its {@code channel}; verdicts go to {@code sink} until the
     * returned check is closed. Must not block.
     */
    HealthCheck start(Endpoint endpoint, Channel channel, HealthCheckSettings settings,
                      EndpointHealthSink sink);

    /** Stops every check and releases the checker's threads. */
    @Override
    void close();

    /** One endpoint's running check. */
    interface HealthCheck extends AutoCloseable {
        /** Stops checking; no verdict is reported afterwards. */
        @Override
        void close();

        /** Checks now rather than at the next interval, unless a check is in flight: its connection is back. */
        default void checkNow() {
        }
    }

    /** A checker that finds every endpoint healthy at once: for pools built without the health module. */
    static EndpointHealthChecker none() {
        return new EndpointHealthChecker() {
            @Override
            public HealthCheck start(Endpoint endpoint, Channel channel, HealthCheckSettings settings,
                                     EndpointHealthSink sink) {
                sink.healthy();
                return () -> { };
            }

            @Override
            public void close() {
            }
        };
    }
}
