package dev.portico.upstream;

import java.util.Locale;

/** Where an endpoint stands, as picks, readiness and metrics see it. */
public enum EndpointState {
    /** Not checked yet. Takes calls only while no endpoint of its cluster is {@link #HEALTHY}. */
    STARTING,
    /** Passed its health checks (or is not checked) and its connection is not failing: takes calls. */
    HEALTHY,
    /** Failed its health checks, or its connection attempts fail. Takes calls only in panic mode. */
    UNHEALTHY,
    /** Taken out for a while after its calls kept failing. Takes calls only in panic mode. */
    EJECTED;

    /** The metric tag value: the name in lowercase. */
    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
