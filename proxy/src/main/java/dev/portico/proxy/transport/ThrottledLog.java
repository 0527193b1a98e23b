package dev.portico.proxy.transport;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * A WARN log for events a client can cause at will (bad requests, timeouts, refused connections): the
 * first event of a kind is logged at once, later ones of that kind within the interval are only counted,
 * and the next one logged after it says how many were left out. Never a stack trace: what a client did
 * wrong is said in one line. A flood of bad input then costs a few lines per interval, not one per request.
 *
 * <p>Kinds are a small fixed set of names chosen by the code (never client input), so the map stays
 * bounded. Thread-safe.
 */
public final class ThrottledLog {
    /** How often each kind of event is logged at most: what the README promises operators. */
    public static final Duration INTERVAL = Duration.ofSeconds(10);

    private final Logger log;
    private final long intervalNanos;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();

    /** Logs to {@code log} at most once per {@link #INTERVAL} per kind. */
    public ThrottledLog(Logger log) {
        this(log, INTERVAL);
    }

    public ThrottledLog(Logger log, Duration interval) {
        this.log = requireNonNull(log, "log");
        this.intervalNanos = requireNonNull(interval, "interval").toNanos();
    }

    /** Logs {@code message} (slf4j {@code {}} placeholders) unless one of {@code kind} was logged lately. */
    public void warn(String kind, String message, Object... args) {
        if (!log.isWarnEnabled()) {
            return;
        }
        final long left = windows.computeIfAbsent(kind, k -> new Window()).admit(System.nanoTime(), intervalNanos);
        if (left < 0) {
            return;
        }
        final String line = left == 0 ? message
                : message + " (and " + left + " more " + kind + " in the last "
                  + Duration.ofNanos(intervalNanos).toSeconds() + " s)";
        log.warn(line, withoutThrowable(args));
    }

    /**
     * slf4j prints a stack trace for a Throwable in the last argument; its {@code toString} says enough
     * about a client's mistake.
     */
    private static Object[] withoutThrowable(Object[] args) {
        if (args.length > 0 && args[args.length - 1] instanceof Throwable t) {
            final Object[] copy = args.clone();
            copy[copy.length - 1] = t.toString();
            return copy;
        }
        return args;
    }

    /** One kind's current interval: when it opened and how many events it dropped. */
    private static final class Window {
        private final AtomicLong openedNanos = new AtomicLong(Long.MIN_VALUE);
        private final AtomicLong dropped = new AtomicLong();

        /** Returns how many events were dropped before this one if it opens a new interval, else -1. */
        long admit(long now, long intervalNanos) {
            final long opened = openedNanos.get();
            if (opened != Long.MIN_VALUE && now - opened < intervalNanos) {
                dropped.incrementAndGet();
                return -1;
            }
            if (!openedNanos.compareAndSet(opened, now)) {
                dropped.incrementAndGet(); // Another thread opened the interval just now.
                return -1;
            }
            return dropped.getAndSet(0);
        }
    }
}
