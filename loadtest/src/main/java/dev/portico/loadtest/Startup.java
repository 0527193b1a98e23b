package dev.portico.loadtest;

import java.util.List;
import java.util.OptionalInt;

/**
 * How one Portico variant's fresh process started: milliseconds from launching bin/portico until its front
 * port accepted a TCP connection and until its admin /readyz answered 200, and the call rates of the 2 s
 * chunks of its first JIT warm-up (unary, concurrency 50), which began right after the first-call checks.
 */
record Startup(Variant variant, long listeningMillis, long readyMillis, List<Double> chunkRates) {
    /** The length of one warm-up chunk ({@code LoadTest.warmUp}). */
    static final int CHUNK_SECONDS = 2;

    Startup {
        chunkRates = List.copyOf(chunkRates);
    }

    /** The first chunk's rate as a share of {@code steadyRate}; NaN when there was no chunk. */
    double firstChunkShare(double steadyRate) {
        return chunkRates.isEmpty() ? Double.NaN : chunkRates.get(0) / steadyRate;
    }

    /** Seconds of load at the end of the first chunk that reached {@code rate}; empty when none did. */
    OptionalInt secondsOfLoadToReach(double rate) {
        for (int i = 0; i < chunkRates.size(); i++) {
            if (chunkRates.get(i) >= rate) {
                return OptionalInt.of((i + 1) * CHUNK_SECONDS);
            }
        }
        return OptionalInt.empty();
    }

    /** Seconds of load the warm-up ran in all. */
    int loadSeconds() {
        return chunkRates.size() * CHUNK_SECONDS;
    }
}
