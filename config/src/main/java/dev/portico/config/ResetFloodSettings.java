package dev.portico.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Bounds on HTTP/2 stream resets ({@code portico.limits.reset-flood}), against rapid reset (CVE-2023-44487)
 * and resets a client provokes (CVE-2025-8671).
 *
 * @param maxResets         resets one connection may cause per {@code window} before it gets GOAWAY
 *                          ENHANCE_YOUR_CALM and is closed: RST_STREAM frames from the client, and those
 *                          Portico sends for the client's errors; positive
 * @param window            the period {@code maxResets} counts over; positive
 * @param penalty           for how long, after one of its connections went over {@code maxResets}, a client
 *                          IP's new connections are closed at once; zero for no penalty
 * @param maxTrackedClients how many penalised client IPs are remembered at once (bounded memory: past it,
 *                          some are forgotten before their penalty ends); positive
 */
public record ResetFloodSettings(int maxResets, Duration window, Duration penalty, int maxTrackedClients) {

    public ResetFloodSettings {
        requireNonNull(window, "window");
        requireNonNull(penalty, "penalty");
    }
}
