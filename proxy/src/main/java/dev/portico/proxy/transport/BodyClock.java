package dev.portico.proxy.transport;

/**
 * Times a request body Portico must have whole ({@code listen.timeouts.request-body-idle} between the bytes,
 * {@code request-body} in all), counting only while a read is owed, that is while Portico is asking for more:
 * backpressure never counts. One body at a time; confined to its channel's event loop.
 */
final class BodyClock {
    private final TimeoutPolicy policy;
    /** A read was asked for and no body bytes have answered it yet. */
    private boolean readOwed;
    private long owedSince;
    /** Owed time of the current body before {@link #owedSince}. */
    private long owedBefore;

    BodyClock(TimeoutPolicy policy) {
        this.policy = policy;
    }

    /** A new body starts. */
    void reset() {
        readOwed = false;
        owedBefore = 0;
    }

    /** A read was asked for; returns whether the clock started running (its deadline changed). */
    boolean readAsked() {
        if (readOwed) {
            return false;
        }
        readOwed = true;
        owedSince = System.nanoTime();
        return true;
    }

    void bytesArrived() {
        if (readOwed) {
            readOwed = false;
            owedBefore += System.nanoTime() - owedSince;
        }
    }

    /** When the body times out, or {@link ExpiryTimer#NONE} while no read is owed. */
    long deadline() {
        if (!readOwed) {
            return ExpiryTimer.NONE;
        }
        final long betweenBytes = policy.requestBodyIdleNanos() == 0 ? ExpiryTimer.NONE
                : owedSince + policy.requestBodyIdleNanos();
        final long total = policy.requestBodyNanos() == 0 ? ExpiryTimer.NONE
                : owedSince + Math.max(0, policy.requestBodyNanos() - owedBefore);
        if (betweenBytes == ExpiryTimer.NONE || total == ExpiryTimer.NONE) {
            return betweenBytes == ExpiryTimer.NONE ? total : betweenBytes;
        }
        return total - betweenBytes < 0 ? total : betweenBytes;
    }

    /** Which limit the body went over, for the log line. */
    String expiry() {
        final long waited = System.nanoTime() - owedSince;
        final boolean betweenBytes = policy.requestBodyIdleNanos() > 0 && waited >= policy.requestBodyIdleNanos();
        return betweenBytes
               ? "no request body bytes for " + TimeoutPolicy.setting("request-body-idle",
                                                                       policy.requestBodyIdleNanos())
               : "the request body took longer than " + TimeoutPolicy.setting("request-body",
                                                                               policy.requestBodyNanos());
    }
}
