package dev.portico.health;

import static java.util.Objects.requireNonNull;

import dev.portico.upstream.ClusterHealth;
import dev.portico.upstream.UpstreamPool;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.util.List;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether Portico is ready for traffic: every upstream cluster has at least one healthy endpoint, and
 * Portico is not shutting down. Backs the admin port's {@code /readyz} and Portico's own
 * {@code grpc.health.v1.Health} answers. Thread-safe; reads the pool's latest snapshot, never blocks.
 */
public final class Readiness {
    private static final Logger log = LoggerFactory.getLogger(Readiness.class);

    /** One answer: ready or not, and a line saying why. */
    public record Report(boolean ready, String detail) {
        public Report {
            requireNonNull(detail, "detail");
        }
    }

    private final UpstreamPool pool;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean draining;

    public Readiness(UpstreamPool pool) {
        this.pool = requireNonNull(pool, "pool");
        pool.onStateChange(this::changed);
    }

    /** Ready when every cluster has a healthy endpoint (a pool without clusters has nothing to wait for). */
    public Report check() {
        if (draining) {
            return new Report(false, "not ready: Portico is shutting down");
        }
        final StringJoiner missing = new StringJoiner("; ");
        final StringJoiner summary = new StringJoiner("; ");
        for (ClusterHealth cluster : pool.clusters()) {
            summary.add("cluster " + cluster.cluster() + ": " + cluster.describe());
            if (!cluster.hasHealthy()) {
                missing.add("cluster " + cluster.cluster() + " has no healthy endpoint (" + cluster.describe()
                            + ")");
            }
        }
        if (missing.length() > 0) {
            return new Report(false, "not ready: " + missing);
        }
        return new Report(true, "ready" + (summary.length() > 0 ? ": " + summary : ""));
    }

    /**
     * The {@code grpc.health.v1} status of {@code service}: "" is Portico as a whole ({@link #check}); a
     * service name is SERVING when its cluster has a healthy endpoint, and SERVICE_UNKNOWN when no cluster
     * serves it.
     */
    public ServingStatus status(String service) {
        requireNonNull(service, "service");
        if (draining) {
            return ServingStatus.NOT_SERVING;
        }
        if (service.isEmpty()) {
            return check().ready() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
        }
        final Optional<String> cluster = pool.clusterFor(service);
        if (cluster.isEmpty()) {
            return ServingStatus.SERVICE_UNKNOWN;
        }
        for (ClusterHealth health : pool.clusters()) {
            if (health.cluster().equals(cluster.get())) {
                return health.hasHealthy() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
            }
        }
        return ServingStatus.NOT_SERVING;
    }

    /** Whether shutdown began. */
    public boolean draining() {
        return draining;
    }

    /** Shutdown began: from now on Portico reports not ready, so that load balancers stop sending calls. */
    public void markDraining() {
        draining = true;
        changed();
    }

    /**
     * Registers {@code listener} to run when readiness may have changed (an endpoint changed state, or
     * shutdown began). It runs on the pool's thread or the closing thread and must not block. Returns what
     * to run to unregister it.
     */
    public Runnable onChange(Runnable listener) {
        requireNonNull(listener, "listener");
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    private void changed() {
        for (Runnable listener : listeners) {
            try {
                listener.run();
            } catch (RuntimeException e) {
                log.warn("a readiness listener failed", e);
            }
        }
    }
}
