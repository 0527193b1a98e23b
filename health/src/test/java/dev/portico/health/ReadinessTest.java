package dev.portico.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.upstream.ClusterHealth;
import dev.portico.upstream.EndpointState;
import dev.portico.upstream.PickResult;
import dev.portico.upstream.UpstreamPool;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Ready means every cluster has a healthy endpoint; per-service statuses follow the service's cluster. */
class ReadinessTest {

    /** A pool whose clusters the test sets. */
    private static final class FakePool implements UpstreamPool {
        volatile List<ClusterHealth> clusters = List.of();
        final List<Runnable> listeners = new ArrayList<>();

        @Override
        public PickResult pick(String fullMethodName) {
            return new PickResult.NoEndpoint("fake");
        }

        @Override
        public Optional<String> clusterFor(String service) {
            return service.startsWith("acme.users.") ? Optional.of("users")
                   : service.startsWith("acme.orders.") ? Optional.of("orders") : Optional.empty();
        }

        @Override
        public List<ClusterHealth> clusters() {
            return clusters;
        }

        @Override
        public void onStateChange(Runnable listener) {
            listeners.add(listener);
        }

        @Override
        public void close() {
        }

        void set(ClusterHealth... health) {
            clusters = List.of(health);
            listeners.forEach(Runnable::run);
        }
    }

    private static ClusterHealth cluster(String name, int healthy, int unhealthy) {
        return new ClusterHealth(name, Map.of(EndpointState.HEALTHY, healthy, EndpointState.UNHEALTHY, unhealthy));
    }

    private final FakePool pool = new FakePool();
    private final Readiness readiness = new Readiness(pool);

    @Test
    void readyWhenEveryClusterHasAHealthyEndpoint() {
        pool.set(cluster("orders", 1, 1), cluster("users", 2, 0));

        assertThat(readiness.check()).isEqualTo(new Readiness.Report(
                true, "ready: cluster orders: 2 endpoints: 1 healthy, 1 unhealthy; "
                      + "cluster users: 2 endpoints: 2 healthy"));
        assertThat(readiness.status("")).isEqualTo(ServingStatus.SERVING);
    }

    @Test
    void notReadyNamesEveryClusterWithoutAHealthyEndpoint() {
        pool.set(cluster("orders", 0, 2), cluster("users", 1, 0));

        assertThat(readiness.check()).isEqualTo(new Readiness.Report(
                false, "not ready: cluster orders has no healthy endpoint (2 endpoints: 2 unhealthy)"));
        assertThat(readiness.status("")).isEqualTo(ServingStatus.NOT_SERVING);
    }

    @Test
    void aServiceIsServingWhenItsClusterIsAndUnknownWhenNoClusterServesIt() {
        pool.set(cluster("orders", 0, 2), cluster("users", 1, 0));

        assertThat(readiness.status("acme.users.v1.Users")).isEqualTo(ServingStatus.SERVING);
        assertThat(readiness.status("acme.orders.v1.Orders")).isEqualTo(ServingStatus.NOT_SERVING);
        assertThat(readiness.status("other.Svc")).isEqualTo(ServingStatus.SERVICE_UNKNOWN);
    }

    @Test
    void drainingIsNeverReadyAndTellsTheListeners() {
        pool.set(cluster("users", 1, 0));
        final List<String> told = new ArrayList<>();
        readiness.onChange(() -> told.add("changed"));

        readiness.markDraining();

        assertThat(readiness.check().ready()).isFalse();
        assertThat(readiness.check().detail()).isEqualTo("not ready: Portico is shutting down");
        assertThat(readiness.status("acme.users.v1.Users")).isEqualTo(ServingStatus.NOT_SERVING);
        assertThat(told).containsExactly("changed");
    }

    @Test
    void listenersHearPoolChangesUntilTheyUnregister() {
        final List<String> told = new ArrayList<>();
        final Runnable unregister = readiness.onChange(() -> told.add("changed"));

        pool.set(cluster("users", 1, 0));
        unregister.run();
        pool.set(cluster("users", 0, 1));

        assertThat(told).containsExactly("changed");
    }
}
