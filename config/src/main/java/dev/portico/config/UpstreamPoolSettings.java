package dev.portico.config;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;

/**
 * Every upstream cluster and how calls are routed to them ({@code portico.upstream}).
 *
 * <p>The default cluster ({@code portico.upstream.endpoints}, or {@code portico.upstream.clusters.default})
 * takes every call whose service no named cluster lists. It always has settings, but takes part only when it
 * has endpoints; without it, a call to an unlisted service is answered UNIMPLEMENTED.
 *
 * @param defaultCluster the default cluster; its endpoints may be empty
 * @param named          the other clusters, each with endpoints and services, sorted by name
 */
public record UpstreamPoolSettings(ClusterSettings defaultCluster, List<ClusterSettings> named) {

    public UpstreamPoolSettings {
        requireNonNull(defaultCluster, "defaultCluster");
        named = List.copyOf(named);
    }

    /** The clusters calls can go to: the default one first when it has endpoints, then the named ones. */
    public List<ClusterSettings> clusters() {
        final List<ClusterSettings> all = new ArrayList<>();
        if (!defaultCluster.endpoints().isEmpty()) {
            all.add(defaultCluster);
        }
        all.addAll(named);
        return all;
    }

    /** No endpoint anywhere: Portico runs its in-process demo backend instead. */
    public boolean isEmpty() {
        return clusters().isEmpty();
    }

    /** Only the default cluster, over h2c to {@code endpoint}: demo mode. */
    public UpstreamPoolSettings demo(HostAndPort endpoint) {
        final ClusterSettings demo = defaultCluster.withEndpoints(List.of(endpoint)).withPlaintext();
        return new UpstreamPoolSettings(demo, List.of());
    }
}
