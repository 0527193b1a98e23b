package dev.portico.upstream;

/**
 * Where an {@link EndpointHealthChecker} reports the verdicts of one endpoint's checks, after applying its
 * thresholds. Thread-safe; may be called from any thread, and repeating the current verdict is harmless.
 */
public interface EndpointHealthSink {

    /** The endpoint may take calls. */
    void healthy();

    /** The endpoint must not take calls; {@code reason} is logged, e.g. "NOT_SERVING" or "Check timed out". */
    void unhealthy(String reason);
}
