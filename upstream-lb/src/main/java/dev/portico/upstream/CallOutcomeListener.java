package dev.portico.upstream;

import io.grpc.Status;

/**
 * Told how each call on a picked endpoint ended, which is what passive ejection counts, and (for metrics)
 * when one starts. Thread-safe and cheap: called from every event loop once per call attempt.
 */
@FunctionalInterface
public interface CallOutcomeListener {

    /** For endpoints whose outcomes nobody counts. */
    CallOutcomeListener IGNORE = status -> { };

    /** The call attempt on this endpoint ended with {@code status}. */
    void onCallClosed(Status status);

    /** A call attempt on this endpoint started. */
    default void onCallStarted() {
    }
}
