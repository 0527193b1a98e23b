package dev.portico.upstream;

import static java.util.Objects.requireNonNull;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Round robin over a fixed list of picks. The counter is shared by successive snapshots of one cluster, so
 * rebuilding the picker on a health change does not send the next calls back to the first endpoint.
 */
final class RoundRobinPicker implements Picker {
    private final List<PickResult.Picked> picks;
    private final AtomicInteger next;
    private final PickResult.NoEndpoint exhausted;

    RoundRobinPicker(List<PickResult.Picked> picks, AtomicInteger next, PickResult.NoEndpoint exhausted) {
        if (picks.isEmpty()) {
            throw new IllegalArgumentException("round robin needs at least one endpoint");
        }
        this.picks = List.copyOf(picks);
        this.next = requireNonNull(next, "next");
        this.exhausted = requireNonNull(exhausted, "exhausted");
    }

    @Override
    public PickResult pick(Collection<Endpoint> excluded) {
        final int size = picks.size();
        final int start = index(next.getAndIncrement());
        for (int i = 0; i < size; i++) {
            final PickResult.Picked candidate = picks.get((start + i) % size);
            if (excluded.isEmpty() || !excluded.contains(candidate.endpoint())) {
                return candidate;
            }
        }
        return exhausted;
    }

    @Override
    public PickResult peek() {
        return picks.get(index(next.get()));
    }

    /** Mask the sign bit so that the index stays valid after the counter wraps. */
    private int index(int counter) {
        return (counter & Integer.MAX_VALUE) % picks.size();
    }

    List<PickResult.Picked> picks() {
        return picks;
    }
}
