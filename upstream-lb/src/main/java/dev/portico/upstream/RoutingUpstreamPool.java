package dev.portico.upstream;

import static java.util.Objects.requireNonNull;

import dev.portico.config.ClusterSettings;
import dev.portico.config.LimitSettings;
import dev.portico.config.UpstreamPoolSettings;
import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Portico's upstream pool: named clusters of endpoints, each call routed to a cluster by its service name
 * ({@link ServiceRouter}) and to one of the cluster's endpoints round-robin ({@link EndpointPool}).
 *
 * <p>Picks are lock-free and never block. The pool owns two daemon threads: the control thread, on which
 * every endpoint state changes, and the DNS thread. It also owns the health checker it is given.
 */
public final class RoutingUpstreamPool implements UpstreamPool {
    private static final Logger log = LoggerFactory.getLogger(RoutingUpstreamPool.class);
    /** How long {@link #close} lets calls still in flight finish before their channels are closed hard. */
    private static final long CLOSE_GRACE_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final Map<String, EndpointPool> clusters;
    private final ServiceRouter<EndpointPool> router;
    private final EndpointHealthChecker checker;
    private final EndpointResolver resolver;
    private final ScheduledExecutorService control;
    private final ExecutorService dns;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    private RoutingUpstreamPool(UpstreamPoolSettings settings, LimitSettings limits,
                                EndpointHealthChecker checker, EndpointResolver resolver, UpstreamLoops loops,
                                MeterRegistry meters) {
        this.checker = checker;
        this.resolver = resolver;
        this.control = Executors.newSingleThreadScheduledExecutor(daemon("portico-upstream"));
        this.dns = Executors.newSingleThreadExecutor(daemon("portico-dns"));
        final Map<String, EndpointPool> pools = new LinkedHashMap<>();
        final Map<String, EndpointPool> routes = new LinkedHashMap<>();
        EndpointPool fallback = null;
        for (ClusterSettings cluster : settings.clusters()) {
            final EndpointPool pool = new EndpointPool(cluster, limits, resolver, checker, control, dns, loops,
                                                       this::changed, meters);
            pools.put(cluster.name(), pool);
            for (String route : cluster.services()) {
                routes.put(route, pool);
            }
            if (cluster.name().equals(ClusterSettings.DEFAULT)) {
                fallback = pool;
            }
        }
        this.clusters = Map.copyOf(pools);
        this.router = new ServiceRouter<>(routes, fallback);
    }

    /**
     * Opens every cluster, its upstream connections on {@code loops} (see {@link UpstreamLoops}): resolves the
     * endpoints (blocking on DNS, once), opens their channels and starts their health checks. The pool owns
     * {@code checker} and {@code resolver} and closes them.
     */
    public static RoutingUpstreamPool start(UpstreamPoolSettings settings, LimitSettings limits,
                                            EndpointHealthChecker checker, EndpointResolver resolver,
                                            UpstreamLoops loops) {
        // An empty composite registry keeps nothing: the meters count into the void.
        return start(settings, limits, checker, resolver, loops, new CompositeMeterRegistry());
    }

    /**
     * Like {@link #start(UpstreamPoolSettings, LimitSettings, EndpointHealthChecker, EndpointResolver,
     * UpstreamLoops)}, with the per-endpoint meters ({@link EndpointMeters}) and the retries in {@code meters}.
     */
    public static RoutingUpstreamPool start(UpstreamPoolSettings settings, LimitSettings limits,
                                            EndpointHealthChecker checker, EndpointResolver resolver,
                                            UpstreamLoops loops, MeterRegistry meters) {
        requireNonNull(settings, "settings");
        requireNonNull(limits, "limits");
        requireNonNull(checker, "checker");
        requireNonNull(resolver, "resolver");
        requireNonNull(loops, "loops");
        requireNonNull(meters, "meters");
        final RoutingUpstreamPool pool = new RoutingUpstreamPool(settings, limits, checker, resolver, loops,
                                                                 meters);
        boolean ok = false;
        try {
            for (ClusterSettings cluster : settings.clusters()) {
                pool.clusters.get(cluster.name()).start();
                log.info("upstream cluster {}: {}{}", cluster.name(), cluster.endpoints(),
                         cluster.services().isEmpty() ? " (default)" : " for " + cluster.services());
            }
            // The first resolutions were handed to the control thread; wait until they are applied.
            pool.control.submit(() -> { }).get(10, TimeUnit.SECONDS);
            ok = true;
            return pool;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while opening the upstream pool", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("opening the upstream pool failed", e);
        } finally {
            if (!ok) {
                pool.close();
            }
        }
    }

    @Override
    public PickResult pick(String fullMethodName) {
        return inClusterOf(ServiceRouter.serviceOf(fullMethodName), cluster -> cluster.pick(List.of()));
    }

    @Override
    public PickResult pickForLookup(String service) {
        return inClusterOf(service, EndpointPool::peek);
    }

    /** {@code choose} in the cluster that serves {@code service}, or NoRoute when none does. */
    private PickResult inClusterOf(String service, Function<EndpointPool, PickResult> choose) {
        final EndpointPool cluster = router.route(service).orElse(null);
        return cluster == null ? new PickResult.NoRoute("no upstream cluster serves " + service)
                               : choose.apply(cluster);
    }

    @Override
    public PickResult retry(String fullMethodName, List<Endpoint> tried) {
        final EndpointPool cluster = router.route(ServiceRouter.serviceOf(fullMethodName)).orElse(null);
        if (cluster == null) {
            return new PickResult.NoRoute("no upstream cluster serves " + fullMethodName);
        }
        return cluster.retry(tried);
    }

    @Override
    public Optional<String> clusterFor(String service) {
        return router.route(service).map(EndpointPool::name);
    }

    @Override
    public List<ClusterHealth> clusters() {
        final List<ClusterHealth> all = new ArrayList<>();
        for (EndpointPool cluster : clusters.values()) {
            all.add(cluster.health());
        }
        all.sort((a, b) -> a.cluster().compareTo(b.cluster()));
        return all;
    }

    @Override
    public void onStateChange(Runnable listener) {
        listeners.add(requireNonNull(listener, "listener"));
    }

    private void changed() {
        for (Runnable listener : listeners) {
            try {
                listener.run();
            } catch (RuntimeException e) {
                log.warn("an upstream state listener failed", e);
            }
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        final List<ManagedChannel> channels = new ArrayList<>();
        try {
            channels.addAll(control.submit(() -> {
                final List<ManagedChannel> open = new ArrayList<>();
                for (EndpointPool cluster : clusters.values()) {
                    open.addAll(cluster.close());
                }
                return open;
            }).get(10, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("closing the upstream clusters failed", e);
        }
        control.shutdownNow();
        dns.shutdownNow();
        resolver.close();
        final long deadline = System.nanoTime() + CLOSE_GRACE_NANOS;
        for (ManagedChannel channel : channels) {
            try {
                final long left = deadline - System.nanoTime();
                if (left <= 0 || !channel.awaitTermination(left, TimeUnit.NANOSECONDS)) {
                    channel.shutdownNow();
                }
            } catch (InterruptedException e) {
                channel.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
        checker.close();
    }

    private static ThreadFactory daemon(String name) {
        return runnable -> {
            final Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
