package dev.portico.proxy.transport;

import dev.portico.config.ResetFloodSettings;

/**
 * How many stream resets one HTTP/2 connection may cause per window ({@code portico.limits.reset-flood}):
 * RST_STREAM frames from the client, and those Portico sends for the client's errors. Portico's refusals over
 * {@code max-concurrent-streams} count only beyond one limit's worth per window: a client may open that many
 * streams before it has read the server's SETTINGS (RFC 9113 section 3.4), and each refusal costs no
 * upstream call. The window restarts with the first reset after it ended, as Netty's own guard does.
 *
 * <p>Confined to the connection's event loop.
 */
final class ResetBudget {
    private final int maxResets;
    private final long windowNanos;
    private final int freeRefusals;
    private long windowStart;
    private int resets;
    private int refusals;
    private boolean exceeded;

    ResetBudget(ResetFloodSettings settings, int maxConcurrentStreams) {
        this.maxResets = settings.maxResets();
        this.windowNanos = settings.window().toNanos();
        this.freeRefusals = maxConcurrentStreams;
        this.windowStart = System.nanoTime() - windowNanos;
    }

    /** Counts a reset; returns true the first time the connection goes over its budget. */
    boolean exceededBy(Kind kind) {
        final long now = System.nanoTime();
        if (now - windowStart >= windowNanos) {
            windowStart = now;
            resets = 0;
            refusals = 0;
        }
        if (kind == Kind.REFUSAL && ++refusals <= freeRefusals) {
            return false;
        }
        if (++resets <= maxResets || exceeded) {
            return false;
        }
        exceeded = true;
        return true;
    }

    /** What a reset was. */
    enum Kind {
        /** RST_STREAM from the client, or Portico's for the client's error. */
        RESET,
        /** Portico's REFUSED_STREAM: over the stream limit, or after GOAWAY. */
        REFUSAL
    }
}
