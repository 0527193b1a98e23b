package dev.portico.upstream;

/**
 * Where an {@link EndpointHealthChecker} reports the verdicts of one endpoint's checks. Thread-safe; may be
 * called from any thread, and repeating a verdict is harmless.
 */
public interface EndpointHealthSink {

    /** The endpoint answered that it serves (after the healthy threshold): it may take calls. */
    void healthy();

    /**
     * The endpoint answered that it does not serve (NOT_SERVING, SERVICE_UNKNOWN, ...): it must not take calls.
     * {@code reason} is logged, e.g. "Watch reported NOT_SERVING".
     */
    void unhealthy(String reason);

    /**
     * The checks got no answer {@code unhealthy-threshold} times in a row (timeouts, errors, broken streams),
     * repeated on every further one. The pool takes the endpoint out unless its own calls prove it up.
     */
    void checksFailing(String reason);

    /** One check of the endpoint ended with {@code result} (for metrics), before any verdict it leads to. */
    default void checked(HealthCheckResult result) {
    }
}
