package dev.portico.upstream;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * {@code portico.upstream.endpoints{cluster,state}}: how many endpoints of each cluster are in each
 * {@link EndpointState}. Clusters are fixed by the configuration and states are an enum, so the tags stay
 * bounded; every combination is registered, zeros included, so that alerts can watch them.
 */
public final class UpstreamMetrics implements MeterBinder {
    private final UpstreamPool pool;

    public UpstreamMetrics(UpstreamPool pool) {
        this.pool = requireNonNull(pool, "pool");
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (ClusterHealth cluster : pool.clusters()) {
            for (EndpointState state : EndpointState.values()) {
                final String name = cluster.cluster();
                Gauge.builder("portico.upstream.endpoints", pool, p -> count(p, name, state))
                     .description("Upstream endpoints by cluster and state")
                     .tags("cluster", name, "state", state.tag())
                     .register(registry);
            }
        }
    }

    private static double count(UpstreamPool pool, String cluster, EndpointState state) {
        for (ClusterHealth health : pool.clusters()) {
            if (health.cluster().equals(cluster)) {
                return health.count(state);
            }
        }
        return 0;
    }
}
