package dev.portico.loadtest;

import dev.portico.loadtest.SoakResponse.Ending;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Every soak call's ending, counted by call kind and by ending, by status code in steady state and around
 * backend restarts, with a few examples of each ending that fails a check. Thread-safe: lanes record from
 * their own threads.
 */
final class SoakTally {
    private static final int MAX_EXAMPLES = 40;

    /** "kind / fault" → ending label (a status code, or the ending kind) → count. */
    private final Map<String, Map<String, LongAdder>> byCall = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> statusSteady = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> statusAroundRestarts = new ConcurrentHashMap<>();
    private final Map<Ending.Kind, LongAdder> byEnding = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> noStatusReasons = new ConcurrentHashMap<>();
    private final List<String> examples = new ArrayList<>();
    private final LongAdder sent = new LongAdder();
    private final LongAdder slowReads = new LongAdder();
    private final AtomicLong slowReadMaxMs = new AtomicLong();
    private final LongAdder slowReadTotalMs = new LongAdder();

    void record(SoakCall call, Ending ending, boolean aroundRestart, double atSeconds, long millis) {
        sent.increment();
        final String label = label(ending);
        byCall.computeIfAbsent(call.kind().label + " | " + call.fault().label, k -> new ConcurrentHashMap<>())
                .computeIfAbsent(label, k -> new LongAdder()).increment();
        byEnding.computeIfAbsent(ending.kind(), k -> new LongAdder()).increment();
        if (ending.kind() == Ending.Kind.STATUS) {
            (aroundRestart ? statusAroundRestarts : statusSteady).computeIfAbsent(ending.code(), k -> new LongAdder())
                    .increment();
        }
        if (call.fault() == SoakCall.Fault.SLOW_READER && "OK".equals(ending.code())) {
            slowReads.increment();
            slowReadTotalMs.add(millis);
            slowReadMaxMs.accumulateAndGet(millis, Math::max);
        }
        if (fails(ending)) {
            noStatusReasons.computeIfAbsent(ending.kind() + ": " + ending.code(), k -> new LongAdder()).increment();
            synchronized (examples) {
                if (examples.size() < MAX_EXAMPLES) {
                    examples.add(String.format("t=%.1f s%s, %s: %s (%s) after %d ms", atSeconds,
                                               aroundRestart ? " (around a backend restart)" : "", call.label(),
                                               ending.code(), ending.detail(), millis));
                }
            }
        }
    }

    static boolean fails(Ending ending) {
        return ending.kind() == Ending.Kind.NO_STATUS || ending.kind() == Ending.Kind.STUCK;
    }

    static String label(Ending ending) {
        return switch (ending.kind()) {
            case STATUS -> ending.code();
            case NO_STATUS -> "no status";
            case CANCELLED_ON_PURPOSE -> "cancelled on purpose";
            case REFUSED -> "refused (retry-safe)";
            case STUCK -> "stuck";
            case NOT_SENT -> "not sent";
        };
    }

    long sent() {
        return sent.sum();
    }

    long count(Ending.Kind kind) {
        final LongAdder adder = byEnding.get(kind);
        return adder == null ? 0 : adder.sum();
    }

    Map<String, Map<String, Long>> byCall() {
        final Map<String, Map<String, Long>> out = new TreeMap<>();
        byCall.forEach((call, endings) -> out.put(call, sorted(endings)));
        return out;
    }

    Map<String, Long> statusSteady() {
        return sorted(statusSteady);
    }

    Map<String, Long> statusAroundRestarts() {
        return sorted(statusAroundRestarts);
    }

    Map<String, Long> failureReasons() {
        return sorted(noStatusReasons);
    }

    List<String> examples() {
        synchronized (examples) {
            return List.copyOf(examples);
        }
    }

    long slowReads() {
        return slowReads.sum();
    }

    long slowReadMaxMs() {
        return slowReadMaxMs.get();
    }

    long slowReadMeanMs() {
        final long n = slowReads.sum();
        return n == 0 ? 0 : slowReadTotalMs.sum() / n;
    }

    private static Map<String, Long> sorted(Map<String, LongAdder> counts) {
        final Map<String, Long> out = new TreeMap<>();
        counts.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }
}
