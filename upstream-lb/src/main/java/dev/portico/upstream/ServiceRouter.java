package dev.portico.upstream;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which cluster a service's calls go to: the cluster listing the exact service name, else the one listing the
 * longest matching package prefix ({@code acme.users.*} matches {@code acme.users.v1.Users}), else the default
 * cluster, if there is one. Immutable and thread-safe.
 *
 * @param <T> what a route leads to
 */
final class ServiceRouter<T> {
    private final Map<String, T> exact = new HashMap<>();
    /** Prefixes with their trailing dot ({@code acme.users.}), longest first. */
    private final List<Map.Entry<String, T>> prefixes = new ArrayList<>();
    private final T fallback;

    /**
     * @param routes   service names ({@code pkg.Service}) and package prefixes ({@code pkg.*}), each to its
     *                 target
     * @param fallback where every other service goes; null answers them with nothing
     */
    ServiceRouter(Map<String, T> routes, T fallback) {
        for (Map.Entry<String, T> route : routes.entrySet()) {
            final String pattern = route.getKey();
            requireNonNull(route.getValue(), "route target");
            if (pattern.endsWith(".*")) {
                prefixes.add(Map.entry(pattern.substring(0, pattern.length() - 1), route.getValue()));
            } else {
                exact.put(pattern, route.getValue());
            }
        }
        prefixes.sort(Comparator.comparingInt((Map.Entry<String, T> e) -> e.getKey().length()).reversed());
        this.fallback = fallback;
    }

    /** The target for {@code service} ({@code pkg.Service}), if any route or the fallback takes it. */
    Optional<T> route(String service) {
        final T direct = exact.get(service);
        if (direct != null) {
            return Optional.of(direct);
        }
        for (Map.Entry<String, T> prefix : prefixes) {
            if (service.startsWith(prefix.getKey())) {
                return Optional.of(prefix.getValue());
            }
        }
        return Optional.ofNullable(fallback);
    }

    /** {@code pkg.Service} of {@code pkg.Service/Method}. */
    static String serviceOf(String fullMethodName) {
        final int slash = fullMethodName.lastIndexOf('/');
        return slash < 0 ? fullMethodName : fullMethodName.substring(0, slash);
    }
}
