package dev.portico.proxy.explorer;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Descriptors.ServiceDescriptor;
import dev.portico.config.ClusterSettings;
import dev.portico.proxy.schema.SchemaRegistry;
import dev.portico.upstream.PickResult;
import dev.portico.upstream.UpstreamPool;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The services the API explorer lists: those of the descriptor-set files, and those each upstream cluster's
 * reflection service lists ({@code list_services}), each with its schema from the {@link SchemaRegistry}.
 *
 * <p>A cluster's reflection call goes where the pool routes a service of that cluster, to one of its
 * endpoints. A service an endpoint lists is kept only when the pool routes its calls to that same cluster: the
 * explorer's calls go through Portico's listener, so a service routed elsewhere would not reach it. The
 * reflection services themselves are left out: they are Portico's tools, not the upstream's API.
 *
 * <p>Nothing is cached here (the registry caches schemas): every listing asks the upstreams afresh.
 * Thread-safe.
 */
public final class ServiceCatalog {
    private static final String REFLECTION_PACKAGE = "grpc.reflection.";
    /** Where a call to list the default cluster's services is routed: any name no other cluster claims. */
    private static final String DEFAULT_ROUTE = "grpc.reflection.v1.ServerReflection";

    private final SchemaRegistry registry;
    private final UpstreamPool pool;
    private final List<ClusterSettings> clusters;

    /**
     * @param pool     routes the reflection calls, as it routes every call
     * @param clusters the pool's clusters
     */
    public ServiceCatalog(SchemaRegistry registry, UpstreamPool pool, List<ClusterSettings> clusters) {
        this.registry = requireNonNull(registry, "registry");
        this.pool = requireNonNull(pool, "pool");
        this.clusters = List.copyOf(clusters);
    }

    /**
     * What a listing found.
     *
     * @param services by full name
     * @param problems one line per cluster that could not be asked or per service whose schema is missing
     */
    record Listing(List<Service> services, List<String> problems) {
    }

    /**
     * One service.
     *
     * @param cluster the cluster its calls go to; empty when none takes them (they fail UNIMPLEMENTED)
     * @param source  {@code descriptor set} or {@code reflection}
     */
    record Service(ServiceDescriptor descriptor, Optional<String> cluster, String source) {
    }

    /** Lists the services; completes, never exceptionally, possibly on another thread. */
    CompletableFuture<Listing> list() {
        final Map<String, String> sources = new TreeMap<>();
        registry.fileServiceNames().forEach(name -> sources.put(name, "descriptor set"));
        final List<String> problems = Collections.synchronizedList(new ArrayList<>());
        final List<CompletableFuture<List<String>>> listed = new ArrayList<>();
        for (ClusterSettings cluster : clusters) {
            listed.add(listCluster(cluster).exceptionally(e -> {
                problems.add("cluster " + cluster.name() + ": " + reason(e));
                return List.of();
            }));
        }
        return CompletableFuture.allOf(listed.toArray(CompletableFuture[]::new)).thenCompose(done -> {
            listed.forEach(names -> names.join().forEach(name -> sources.putIfAbsent(name, "reflection")));
            final List<CompletableFuture<Optional<Service>>> resolved = new ArrayList<>();
            sources.forEach((name, source) -> resolved.add(resolve(name, source, problems)));
            return CompletableFuture.allOf(resolved.toArray(CompletableFuture[]::new)).thenApply(all -> {
                final List<Service> services = new ArrayList<>();
                resolved.forEach(service -> service.join().ifPresent(services::add));
                synchronized (problems) {
                    return new Listing(services, List.copyOf(problems));
                }
            });
        });
    }

    /** The services {@code cluster}'s reflection lists that are routed to it, reflection itself left out. */
    private CompletableFuture<List<String>> listCluster(ClusterSettings cluster) {
        final Optional<String> route = routeTo(cluster);
        if (route.isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalStateException(
                    "none of its services is routed to it (they are all claimed by other clusters)"));
        }
        final PickResult pick = pool.pickForLookup(route.get());
        if (pick instanceof PickResult.NoEndpoint none) {
            return CompletableFuture.failedFuture(new IllegalStateException(none.reason()));
        }
        if (pick instanceof PickResult.NoRoute none) {
            return CompletableFuture.failedFuture(new IllegalStateException(none.reason()));
        }
        final PickResult.Picked picked = (PickResult.Picked) pick;
        return registry.listServices(picked.channel()).thenApply(names -> names.stream()
                .filter(name -> !name.startsWith(REFLECTION_PACKAGE))
                .filter(name -> pool.clusterFor(name).equals(Optional.of(cluster.name())))
                .toList());
    }

    /**
     * A service name the pool routes to {@code cluster}: one of its exact services, or a name under one of its
     * package prefixes; for the default cluster also a name no other cluster claims.
     */
    private Optional<String> routeTo(ClusterSettings cluster) {
        final List<String> candidates = new ArrayList<>();
        for (String route : cluster.services()) {
            candidates.add(route.endsWith(".*") ? route.substring(0, route.length() - 1) + "ServerReflection"
                                                : route);
        }
        if (cluster.name().equals(ClusterSettings.DEFAULT)) {
            candidates.add(DEFAULT_ROUTE);
        }
        return candidates.stream()
                .filter(name -> pool.clusterFor(name).equals(Optional.of(cluster.name())))
                .findFirst();
    }

    private CompletableFuture<Optional<Service>> resolve(String name, String source, List<String> problems) {
        return registry.service(name).thenApply(descriptor -> {
            if (descriptor.isEmpty()) {
                problems.add("service " + name + ": its schema cannot be learnt (Portico's log says why)");
                return Optional.empty();
            }
            return Optional.of(new Service(descriptor.get(), pool.clusterFor(name), source));
        });
    }

    private static String reason(Throwable e) {
        final Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        return cause.getMessage() == null ? cause.toString() : cause.getMessage();
    }
}
