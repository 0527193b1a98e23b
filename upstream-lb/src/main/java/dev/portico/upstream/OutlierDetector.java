package dev.portico.upstream;

import static java.util.Objects.requireNonNull;

import dev.portico.config.OutlierDetectionSettings;
import io.grpc.Status;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Passive ejection for one cluster: counts UNAVAILABLE outcomes in a row per endpoint, and decides when an
 * endpoint is ejected and for how long (the base time multiplied by the number of ejections in a row, up to
 * the cap), never ejecting more than the configured share of the cluster.
 *
 * <p><b>Threads:</b> {@link #record} runs on any thread, once per call attempt, and touches only atomics;
 * {@link #eject} and {@link #returned} run on the pool's control thread.
 */
final class OutlierDetector {

    /** How one call outcome counts. */
    enum Outcome {
        /** The endpoint answered: resets the count. */
        SUCCESS,
        /** The endpoint could not be reached or said it is unavailable. */
        FAILURE,
        /** Says nothing about the endpoint (the client cancelled, the deadline passed). */
        NEUTRAL
    }

    /** One endpoint's counts. */
    static final class Counters {
        final AtomicInteger consecutiveFailures = new AtomicInteger();
        /** An ejection decision is queued on the control thread; later failures need not queue another. */
        final AtomicBoolean decisionPending = new AtomicBoolean();
        // Control thread only.
        boolean ejected;
        /** Ejections in a row; the next ejection lasts this plus one times the base. */
        int ejections;
        long returnedAtNanos;
    }

    private final OutlierDetectionSettings settings;
    private final LongSupplier nanoTime;

    OutlierDetector(OutlierDetectionSettings settings, LongSupplier nanoTime) {
        this.settings = requireNonNull(settings, "settings");
        this.nanoTime = requireNonNull(nanoTime, "nanoTime");
    }

    static Outcome classify(Status.Code code) {
        return switch (code) {
            // Connection refused or reset, TLS failures, GOAWAY, and servers saying they cannot serve.
            case UNAVAILABLE -> Outcome.FAILURE;
            case CANCELLED, DEADLINE_EXCEEDED -> Outcome.NEUTRAL;
            // Any other answer came from a server that is up, including application errors.
            case OK, UNKNOWN, INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED,
                 RESOURCE_EXHAUSTED, FAILED_PRECONDITION, ABORTED, OUT_OF_RANGE, UNIMPLEMENTED, INTERNAL,
                 DATA_LOSS, UNAUTHENTICATED -> Outcome.SUCCESS;
        };
    }

    /**
     * Counts one outcome of the endpoint's calls. Returns true when an ejection decision is due: the caller
     * then runs {@link #eject} on the control thread (once, however many failures arrive meanwhile).
     */
    boolean record(Counters counters, Status.Code code) {
        if (!settings.enabled()) {
            return false;
        }
        return switch (classify(code)) {
            case SUCCESS -> {
                // Read first: a plain write on every successful call would bounce the cache line for nothing.
                if (counters.consecutiveFailures.get() != 0) {
                    counters.consecutiveFailures.set(0);
                }
                yield false;
            }
            case NEUTRAL -> false;
            case FAILURE -> counters.consecutiveFailures.incrementAndGet() >= settings.consecutiveFailures()
                            && counters.decisionPending.compareAndSet(false, true);
        };
    }

    /**
     * Decides whether the endpoint is ejected now, given the cluster's size and how many of its endpoints are
     * ejected already. Returns how long the ejection lasts, or empty when it does not happen.
     */
    Optional<Duration> eject(Counters counters, int endpoints, int alreadyEjected) {
        counters.decisionPending.set(false);
        if (counters.ejected || counters.consecutiveFailures.get() < settings.consecutiveFailures()) {
            return Optional.empty(); // A success came in meanwhile, or it is out already.
        }
        counters.consecutiveFailures.set(0);
        // The cap: the share ejected once this one is out, so a one-endpoint cluster is never emptied.
        if ((long) (alreadyEjected + 1) * 100 > (long) endpoints * settings.maxEjectionPercent()) {
            return Optional.empty();
        }
        final long now = nanoTime.getAsLong();
        if (counters.ejections > 0 && now - counters.returnedAtNanos > settings.maxEjectionTime().toNanos()) {
            counters.ejections = 0; // It stayed in longer than the longest ejection: start over.
        }
        counters.ejections++;
        counters.ejected = true;
        final Duration base = settings.baseEjectionTime();
        final Duration max = settings.maxEjectionTime();
        // base * ejections, without overflowing on a long streak.
        final Duration length = counters.ejections > max.toNanos() / Math.max(1, base.toNanos())
                                ? max : base.multipliedBy(counters.ejections);
        return Optional.of(length.compareTo(max) > 0 ? max : length);
    }

    /** The ejection ended: the endpoint takes calls again, with its failure count reset. */
    void returned(Counters counters) {
        counters.ejected = false;
        counters.returnedAtNanos = nanoTime.getAsLong();
        counters.consecutiveFailures.set(0);
    }
}
