package dev.portico.upstream;

import java.util.Locale;

/** Where an endpoint stands, as picks, readiness and metrics see it. */
public enum EndpointState {
    /** Not checked yet. Takes calls only while no endpoint of its cluster is {@link #HEALTHY}. */
    STARTING,
    /** Passed its health checks (or is not checked) and its connection is not failing: takes calls. */
    HEALTHY,
    /**
     * Said it does not serve, got no answer to its health checks while no call to it succeeded, or its
     * connection attempts fail. Takes calls only in panic mode, or, when no endpoint of its cluster is healthy
     * and it may come back by itself (not because it said so), calls that wait for it a bounded time.
     */
    UNHEALTHY,
    /** Taken out for a while after its calls kept failing. Takes calls only in panic mode. */
    EJECTED;

    /** The metric tag value: the name in lowercase. */
    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
