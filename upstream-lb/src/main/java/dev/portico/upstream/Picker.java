package dev.portico.upstream;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An immutable snapshot of the endpoints a cluster's calls may go to, rebuilt whenever one of them changes
 * state. {@link #pick} is lock-free and allocates nothing, so it can run on any event loop.
 */
interface Picker {

    /** The next endpoint, skipping those in {@code excluded} (usually empty; a retry's tried endpoints). */
    PickResult pick(Collection<Endpoint> excluded);

    /** The endpoint the next {@link #pick} would answer, without moving on. */
    default PickResult peek() {
        return pick(List.of());
    }

    /** A picker with nothing to pick: every pick answers {@code result}. */
    static Picker none(PickResult.NoEndpoint result) {
        return excluded -> result;
    }

    /** Round robin over {@code picks}, in their order, continuing from {@code next}. */
    static Picker roundRobin(List<PickResult.Picked> picks, AtomicInteger next,
                             PickResult.NoEndpoint exhausted) {
        return new RoundRobinPicker(picks, next, exhausted);
    }
}
