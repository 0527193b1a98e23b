package dev.portico.upstream;

import java.util.Locale;

/** What one health check of an endpoint found, as the {@code result} metric tag names it. */
public enum HealthCheckResult {
    /** The endpoint answered SERVING. */
    SERVING,
    /** The endpoint answered that it does not serve (NOT_SERVING, SERVICE_UNKNOWN, no such service). */
    NOT_SERVING,
    /** No answer: the check failed, timed out, or its Watch stream broke. */
    NO_ANSWER;

    /** The metric tag value: the name in lowercase. */
    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }
}
