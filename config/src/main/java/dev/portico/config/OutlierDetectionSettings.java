package dev.portico.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * Passive ejection of endpoints that fail calls ({@code portico.upstream.outlier-detection}).
 *
 * @param enabled             false: call outcomes never eject an endpoint
 * @param consecutiveFailures 1 or more UNAVAILABLE outcomes (connection failures included) in a row that
 *                            eject an endpoint
 * @param baseEjectionTime    positive; the first ejection's length, multiplied by the number of ejections in
 *                            a row for the next ones
 * @param maxEjectionTime     at least {@code baseEjectionTime}; the cap on one ejection's length
 * @param maxEjectionPercent  0..100; an ejection that would leave more than this share of the cluster's
 *                            endpoints ejected does not happen
 */
public record OutlierDetectionSettings(boolean enabled, int consecutiveFailures, Duration baseEjectionTime,
                                       Duration maxEjectionTime, int maxEjectionPercent) {

    public OutlierDetectionSettings {
        requireNonNull(baseEjectionTime, "baseEjectionTime");
        requireNonNull(maxEjectionTime, "maxEjectionTime");
        if (consecutiveFailures < 1) {
            throw new IllegalArgumentException("consecutiveFailures must be at least 1");
        }
        if (maxEjectionPercent < 0 || maxEjectionPercent > 100) {
            throw new IllegalArgumentException("maxEjectionPercent must be between 0 and 100");
        }
    }
}
