package dev.portico.loadtest;

/**
 * One measured repetition of one variant of one scenario. {@code failure} is null for a measurement
 * whose checks all passed; a failed one keeps no numbers that a report could show.
 */
final class Sample {
    final Scenario scenario;
    final Variant variant;
    final int rep;
    String failure;
    String checks = "";

    long calls;
    double seconds;
    double callsPerSecond;
    /** Response payload megabytes (10^6 bytes) per second: messages x payload size, whatever the framing. */
    double payloadMBps;
    long p50us = -1;
    long p99us = -1;
    double porticoCpuSeconds = Double.NaN;
    double backendCpuSeconds;
    long porticoContextSwitches = -1;
    int porticoThreads = -1;
    long porticoPeakRssKiB = -1;
    long porticoIdleRssKiB = -1;
    long porticoRssKiB = -1;
    long backendRssKiB = -1;
    /** Busy fraction of the server core that was neither the backend nor Portico (other users). */
    double otherOnServerCore;
    /** CPU seconds the backend's and Portico's JIT compilers took during the run (warm means near zero). */
    double compilerSeconds;
    double loadCoreBusy;
    /** Open-streams scenario: streams open at once, and how long opening them took. */
    long openStreams;
    double openSeconds;
    long backendIdleRssKiB = -1;
    /** The direct-gRPC run measured just before this one (Portico variants of paired scenarios). */
    Sample baseline;

    Sample(Scenario scenario, Variant variant, int rep) {
        this.scenario = scenario;
        this.variant = variant;
        this.rep = rep;
    }

    boolean ok() {
        return failure == null;
    }

    /** Portico's CPU time as a fraction of one core over the measurement. */
    double porticoCpuShare() {
        return porticoCpuSeconds / seconds;
    }

    double porticoCpuMicrosPerCall() {
        return porticoCpuSeconds * 1e6 / calls;
    }

    /** Portico's context switches per response message (per call for unary). */
    double porticoSwitchesPerMessage() {
        return porticoContextSwitches < 0 ? Double.NaN
                : porticoContextSwitches / (double) (calls * scenario.messages());
    }

    double backendCpuMicrosPerCall() {
        return backendCpuSeconds * 1e6 / calls;
    }
}
