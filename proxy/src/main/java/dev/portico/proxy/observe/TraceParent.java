package dev.portico.proxy.observe;

import java.util.regex.Pattern;

/** The W3C Trace Context header ({@code traceparent}), as far as the access log reads it without tracing. */
final class TraceParent {
    /** W3C Trace Context section 3.2: version "00", 32 hex trace id, 16 hex parent id, 2 hex flags. */
    private static final Pattern VERSION_00 = Pattern.compile("00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}");
    private static final String INVALID_TRACE_ID = "00000000000000000000000000000000";

    private TraceParent() {}

    /** The trace id of a valid {@code traceparent} value, or null (absent, malformed, all zeros). */
    static String traceId(String traceparent) {
        if (traceparent == null || !VERSION_00.matcher(traceparent).matches()) {
            return null;
        }
        final String traceId = traceparent.substring(3, 35);
        return traceId.equals(INVALID_TRACE_ID) ? null : traceId;
    }
}
