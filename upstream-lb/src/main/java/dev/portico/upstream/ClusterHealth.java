package dev.portico.upstream;

import static java.util.Objects.requireNonNull;

import java.util.EnumMap;
import java.util.Map;
import java.util.StringJoiner;

/**
 * A snapshot of one cluster's endpoints by state, taken when its picker was last rebuilt.
 *
 * @param cluster   the cluster's name
 * @param endpoints how many endpoints are in each state; every state has an entry
 */
public record ClusterHealth(String cluster, Map<EndpointState, Integer> endpoints) {

    public ClusterHealth {
        requireNonNull(cluster, "cluster");
        final Map<EndpointState, Integer> all = new EnumMap<>(EndpointState.class);
        for (EndpointState state : EndpointState.values()) {
            all.put(state, endpoints.getOrDefault(state, 0));
        }
        endpoints = Map.copyOf(all);
    }

    public int count(EndpointState state) {
        return endpoints.get(state);
    }

    /** Whether at least one endpoint is healthy: the cluster is ready. */
    public boolean hasHealthy() {
        return count(EndpointState.HEALTHY) > 0;
    }

    /** {@code 3 endpoints: 1 healthy, 2 unhealthy}, listing only the states that occur. */
    public String describe() {
        int total = 0;
        final StringJoiner states = new StringJoiner(", ");
        for (EndpointState state : EndpointState.values()) {
            total += count(state);
            if (count(state) > 0) {
                states.add(count(state) + " " + state.tag());
            }
        }
        return total == 0 ? "no endpoints" : total + (total == 1 ? " endpoint: " : " endpoints: ") + states;
    }
}
