package dev.portico.proxy;

import static dev.portico.proxy.testing.PoolPortico.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.GrpcWebResponse;
import dev.portico.proxy.testing.PoolPortico;
import dev.portico.proxy.testing.PoolPortico.Outcome;
import dev.portico.proxy.testing.PrometheusScrape;
import dev.portico.proxy.testing.RawWire;
import dev.portico.proxy.testing.TestBackend;
import dev.portico.proxy.testing.Transport;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Routing calls to clusters by service name, Portico's own readiness ({@code /readyz}) and health service
 * ({@code grpc.health.v1.Health} on its listener), and the endpoint gauges, against real grpc-java backends.
 */
class UpstreamRoutingAndHealthTest {
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        Collections.reverse(resources);
        for (AutoCloseable resource : resources) {
            resource.close();
        }
    }

    private <T extends AutoCloseable> T keep(T resource) {
        resources.add(resource);
        return resource;
    }

    private TestBackend backend(String name) throws Exception {
        return keep(TestBackend.start(name, "127.0.0.1", 0));
    }

    private static String clusters(TestBackend users, TestBackend orders) {
        return "portico.upstream.health-check.interval = 100ms\n"
               + "portico.upstream.clusters {\n"
               + "  users { endpoints = [\"" + users.endpoint() + "\"], services = [\"acme.users.v1.*\"] }\n"
               + "  orders { endpoints = [\"" + orders.endpoint() + "\"], services = [\"acme.orders.v1.Orders\"] }\n"
               + "}\n";
    }

    // ---- routing ----

    @Test
    void callsAreRoutedToTheClusterOfTheirService() throws Exception {
        final TestBackend users = backend("users");
        final TestBackend orders = backend("orders");
        final TestBackend main = backend("main");
        final PoolPortico portico = keep(PoolPortico.start(
                clusters(users, orders) + "portico.upstream.endpoints = [\"" + main.endpoint() + "\"]\n"));
        portico.awaitAllHealthy();

        assertThat(portico.call("acme.users.v1.Users/Get").backend()).isEqualTo("users");
        assertThat(portico.call("acme.users.v1.admin.Roles/List").backend()).as("deeper package").isEqualTo("users");
        assertThat(portico.call("acme.orders.v1.Orders/Place").backend()).isEqualTo("orders");
        assertThat(portico.call("acme.orders.v1.Invoices/Get").backend()).as("not listed").isEqualTo("main");
        assertThat(portico.call("acme.users.v2.Users/Get").backend()).as("other package").isEqualTo("main");
        assertThat(portico.call("other.Thing/Do").backend()).isEqualTo("main");
    }

    @Test
    void theLongestMatchingPrefixWins() throws Exception {
        final TestBackend wide = backend("wide");
        final TestBackend narrow = backend("narrow");
        final PoolPortico portico = keep(PoolPortico.start(
                "portico.upstream.clusters {\n"
                + "  wide { endpoints = [\"" + wide.endpoint() + "\"], services = [\"acme.*\"] }\n"
                + "  narrow { endpoints = [\"" + narrow.endpoint() + "\"], services = [\"acme.billing.*\"] }\n"
                + "}\n"));

        assertThat(portico.call("acme.billing.v1.Bills/Get").backend()).isEqualTo("narrow");
        assertThat(portico.call("acme.users.v1.Users/Get").backend()).isEqualTo("wide");
    }

    @Test
    void aServiceNoClusterServesIsUnimplementedWithoutAnyUpstreamCall() throws Exception {
        final TestBackend users = backend("users");
        final TestBackend orders = backend("orders");
        final PoolPortico portico = keep(PoolPortico.start(clusters(users, orders)));
        portico.awaitAllHealthy();

        final Outcome outcome = portico.call("other.Thing/Do", "unrouted");

        assertThat(outcome.status().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
        assertThat(outcome.status().getDescription()).isEqualTo("no upstream cluster serves other.Thing");
        assertThat(users.received("unrouted") || orders.received("unrouted")).isFalse();
        assertThat(users.calls() + orders.calls()).isZero();
    }

    @Test
    void anUnroutedGrpcWebCallIsAnsweredUnimplementedInItsProtocol() throws Exception {
        final TestBackend users = backend("users");
        final TestBackend orders = backend("orders");
        final PoolPortico portico = keep(PoolPortico.start(clusters(users, orders)));

        try (RawWire wire = RawWire.open(Transport.HTTP1, portico.server().port())) {
            final GrpcWebResponse response = GrpcWebResponse.of(
                    wire.exchange("POST", "/other.Thing/Do", GrpcWeb.headers(GrpcWeb.PROTO),
                                  GrpcWeb.frame(0, new byte[0])),
                    GrpcWeb.PROTO);

            assertThat(response.code()).isEqualTo(12); // UNIMPLEMENTED
            assertThat(response.message()).isEqualTo("no upstream cluster serves other.Thing");
        }
    }

    // ---- readiness ----

    @Test
    void readyzReflectsWhetherEveryClusterHasAHealthyEndpoint() throws Exception {
        final TestBackend users = backend("users");
        final TestBackend orders = backend("orders");
        final PoolPortico portico = keep(PoolPortico.start(clusters(users, orders)));
        portico.awaitAllHealthy();

        final HttpResponse<String> ready = portico.admin("/readyz");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).startsWith("ready: cluster orders: 1 endpoint: 1 healthy");

        orders.setServing(false);
        assertThat(eventually(Duration.ofSeconds(1), () -> status(portico, "/readyz") == 503)).isTrue();
        assertThat(portico.admin("/readyz").body())
                .isEqualTo("not ready: cluster orders has no healthy endpoint (1 endpoint: 1 unhealthy)\n");
        assertThat(portico.admin("/healthz").statusCode()).as("still live").isEqualTo(200);

        orders.setServing(true);
        assertThat(eventually(Duration.ofSeconds(1), () -> status(portico, "/readyz") == 200)).isTrue();
    }

    private static int status(PoolPortico portico, String path) {
        try {
            return portico.admin(path).statusCode();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    // ---- Portico's own grpc.health.v1.Health ----

    @Test
    void porticoAnswersHealthCheckItselfOnItsListener() throws Exception {
        final TestBackend users = backend("users");
        final TestBackend orders = backend("orders");
        final PoolPortico portico = keep(PoolPortico.start(clusters(users, orders)));
        portico.awaitAllHealthy();
        final HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(portico.channel())
                .withDeadlineAfter(5, TimeUnit.SECONDS);

        assertThat(health.check(request("")).getStatus()).isEqualTo(ServingStatus.SERVING);
        assertThat(health.check(request("acme.users.v1.Users")).getStatus()).isEqualTo(ServingStatus.SERVING);
        final StatusRuntimeException unknown = catchThrowableOfType(StatusRuntimeException.class,
                                                                    () -> health.check(request("other.Thing")));
        assertThat(unknown.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);

        users.setServing(false);
        assertThat(eventually(Duration.ofSeconds(1), () -> health.check(request("")).getStatus()
                                                           == ServingStatus.NOT_SERVING)).isTrue();
        assertThat(health.check(request("acme.users.v1.Users")).getStatus()).isEqualTo(ServingStatus.NOT_SERVING);
        assertThat(health.check(request("acme.orders.v1.Orders")).getStatus()).isEqualTo(ServingStatus.SERVING);
        assertThat(users.calls() + orders.calls()).as("no health call was proxied").isZero();
    }

    @Test
    void porticoAnswersHealthWatchWithEveryChange() throws Exception {
        final TestBackend users = backend("users");
        final TestBackend orders = backend("orders");
        final PoolPortico portico = keep(PoolPortico.start(clusters(users, orders)));
        portico.awaitAllHealthy();
        final Iterator<HealthCheckResponse> watch = HealthGrpc.newBlockingStub(portico.channel())
                .withDeadlineAfter(5, TimeUnit.SECONDS).watch(request(""));

        assertThat(watch.next().getStatus()).isEqualTo(ServingStatus.SERVING);
        orders.setServing(false);
        assertThat(watch.next().getStatus()).isEqualTo(ServingStatus.NOT_SERVING);
        orders.setServing(true);
        assertThat(watch.next().getStatus()).isEqualTo(ServingStatus.SERVING);
        // Portico shutting down turns NOT_SERVING first, so that whoever watches stops sending calls, and ends
        // the stream, so that it does not hold the shutdown up.
        portico.server().readiness().markDraining();
        assertThat(watch.next().getStatus()).isEqualTo(ServingStatus.NOT_SERVING);
        final StatusRuntimeException ended = catchThrowableOfType(StatusRuntimeException.class, watch::hasNext);
        assertThat(ended.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(ended.getStatus().getDescription()).isEqualTo("Portico is shutting down");
    }

    @Test
    void healthCheckOverGrpcWebIsAnsweredToo() throws Exception {
        final TestBackend users = backend("users");
        final TestBackend orders = backend("orders");
        final PoolPortico portico = keep(PoolPortico.start(clusters(users, orders)));
        portico.awaitAllHealthy();

        try (RawWire wire = RawWire.open(Transport.H2C, portico.server().port())) {
            final GrpcWebResponse response = GrpcWebResponse.of(
                    wire.exchange("POST", "/grpc.health.v1.Health/Check", GrpcWeb.headers(GrpcWeb.PROTO),
                                  GrpcWeb.frame(request("acme.orders.v1.Orders"))),
                    GrpcWeb.PROTO);

            assertThat(response.code()).isZero();
            assertThat(HealthCheckResponse.parseFrom(response.messages().get(0)).getStatus())
                    .isEqualTo(ServingStatus.SERVING);
        }
    }

    @Test
    void withItsOwnHealthServiceOffHealthCallsAreProxied() throws Exception {
        final TestBackend main = backend("main");
        final PoolPortico portico = keep(PoolPortico.start(
                "portico.health.grpc-health-service = false\n"
                + "portico.upstream.endpoints = [\"" + main.endpoint() + "\"]\n"));
        portico.awaitAllHealthy();
        main.setServing("acme.Svc", false);

        final HealthCheckResponse answer = HealthGrpc.newBlockingStub(portico.channel())
                .withDeadlineAfter(5, TimeUnit.SECONDS).check(request("acme.Svc"));

        assertThat(answer.getStatus()).as("the backend's own answer").isEqualTo(ServingStatus.NOT_SERVING);
    }

    private static HealthCheckRequest request(String service) {
        return HealthCheckRequest.newBuilder().setService(service).build();
    }

    // ---- metrics ----

    @Test
    void endpointGaugesCountEachClusterByState() throws Exception {
        final TestBackend users = backend("users");
        final TestBackend orders = backend("orders");
        final PoolPortico portico = keep(PoolPortico.start(clusters(users, orders)));
        portico.awaitAllHealthy();
        orders.setServing(false);
        assertThat(eventually(Duration.ofSeconds(1), () -> !portico.server().readiness().check().ready())).isTrue();

        final PrometheusScrape metrics = PrometheusScrape.fetch(portico.server().adminPort());

        final String gauge = "portico_upstream_endpoints";
        assertThat(metrics.value(gauge, Map.of("cluster", "users", "state", "healthy"))).hasValue(1.0);
        assertThat(metrics.value(gauge, Map.of("cluster", "users", "state", "unhealthy"))).hasValue(0.0);
        assertThat(metrics.value(gauge, Map.of("cluster", "orders", "state", "unhealthy"))).hasValue(1.0);
        assertThat(metrics.value(gauge, Map.of("cluster", "orders", "state", "ejected"))).hasValue(0.0);
        assertThat(metrics.value(gauge, Map.of("cluster", "orders", "state", "starting"))).hasValue(0.0);
    }
}
