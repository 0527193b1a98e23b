package dev.portico.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.config.InvalidConfigException;
import dev.portico.config.LimitSettings;
import dev.portico.config.PorticoConfig;
import dev.portico.config.PorticoSettings;
import io.grpc.Status;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The pool against real grpc-java servers on loopback: round robin, health verdicts and connection failures
 * in the picker, panic mode, DNS answers followed (with calls in flight on a removed endpoint finishing),
 * passive ejection, retry picks, routing, metrics.
 */
class RoutingUpstreamPoolTest {
    private static final String WHO = "test.Who/Ami";

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final ManualHealthChecker checker = new ManualHealthChecker();

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

    private TestServer server(String name) throws IOException {
        return keep(TestServer.start(name, "127.0.0.1", 0));
    }

    private RoutingUpstreamPool pool(String hocon, EndpointHealthChecker healthChecker, EndpointResolver resolver)
            throws InvalidConfigException {
        final PorticoSettings settings = PorticoConfig.parse(hocon);
        return keep(RoutingUpstreamPool.start(settings.upstreamPool(), settings.limits(), healthChecker, resolver,
                                              TestLoops.LOOPS));
    }

    private RoutingUpstreamPool pool(String hocon) throws InvalidConfigException {
        return pool(hocon, checker, EndpointResolver.SYSTEM);
    }

    /** A pool of {@code a} and {@code b}, checked by the test's checker and found healthy. */
    private RoutingUpstreamPool healthyPoolOf(TestServer a, TestServer b) throws Exception {
        final RoutingUpstreamPool pool = pool("portico.upstream.endpoints = [\"" + a.endpoint() + "\", \""
                                              + b.endpoint() + "\"]");
        checker.sink(a.port()).healthy();
        checker.sink(b.port()).healthy();
        assertThat(eventually(() -> count(pool, EndpointState.HEALTHY) == 2)).isTrue();
        return pool;
    }

    private static String who(PickResult pick) {
        assertThat(pick).isInstanceOf(PickResult.Picked.class);
        return TestServer.who(((PickResult.Picked) pick).channel());
    }

    private static List<String> whos(UpstreamPool pool, int calls) {
        final List<String> names = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
            names.add(who(pool.pick(WHO)));
        }
        return names;
    }

    private static boolean eventually(BooleanSupplier condition) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(10);
        }
        return condition.getAsBoolean();
    }

    private static int count(UpstreamPool pool, EndpointState state) {
        return pool.clusters().get(0).count(state);
    }

    // ---- picking ----

    @Test
    void callsRotateOverTheEndpointsInTheOrderConfigured() throws Exception {
        final TestServer a = server("a");
        final TestServer b = server("b");
        final TestServer c = server("c");
        final RoutingUpstreamPool pool = pool("portico.upstream { endpoints = [\"" + a.endpoint() + "\", \""
                                              + b.endpoint() + "\", \"" + c.endpoint() + "\"]"
                                              + ", health-check.enabled = false }");

        assertThat(whos(pool, 6)).containsExactly("a", "b", "c", "a", "b", "c");
        assertThat(pool.clusters()).singleElement()
                .satisfies(h -> assertThat(h.describe()).isEqualTo("3 endpoints: 3 healthy"));
    }

    @Test
    void checksWithoutAnAnswerTakeAnEndpointOutOnlyWhileNoCallToItSucceeds() throws Exception {
        final TestServer a = server("a");
        final TestServer b = server("b");
        final RoutingUpstreamPool pool = healthyPoolOf(a, b);
        PickResult.Picked toA = (PickResult.Picked) pool.pick(WHO);
        if (toA.endpoint().address().getPort() != a.port()) {
            toA = (PickResult.Picked) pool.pick(WHO);
        }
        toA.onCallClosed(Status.OK); // A call to a succeeded; none to b.

        checker.sink(a.port()).checksFailing("no answer to Watch within 1000 ms");
        checker.sink(b.port()).checksFailing("no answer to Watch within 1000 ms");

        assertThat(eventually(() -> count(pool, EndpointState.UNHEALTHY) == 1)).isTrue();
        assertThat(whos(pool, 4)).containsOnly("a");
    }

    @Test
    void unhealthyEndpointsAreLeftOutAndAllUnhealthyFailsNamingTheCluster() throws Exception {
        final TestServer a = server("a");
        final TestServer b = server("b");
        final RoutingUpstreamPool pool = healthyPoolOf(a, b);

        checker.sink(a.port()).unhealthy("NOT_SERVING");
        assertThat(eventually(() -> count(pool, EndpointState.UNHEALTHY) == 1)).isTrue();
        assertThat(whos(pool, 4)).containsOnly("b");

        checker.sink(b.port()).unhealthy("NOT_SERVING");
        assertThat(eventually(() -> count(pool, EndpointState.UNHEALTHY) == 2)).isTrue();
        assertThat(pool.pick(WHO)).isEqualTo(new PickResult.NoEndpoint(
                "no healthy endpoint in upstream cluster default (2 endpoints: 2 unhealthy)"));
    }

    @Test
    void uncheckedEndpointsTakeCallsUntilOneIsKnownHealthy() throws Exception {
        final TestServer a = server("a");
        final TestServer b = server("b");
        final RoutingUpstreamPool pool = pool("portico.upstream.endpoints = [\"" + a.endpoint() + "\", \""
                                              + b.endpoint() + "\"]");

        assertThat(count(pool, EndpointState.STARTING)).isEqualTo(2);
        assertThat(whos(pool, 4)).containsOnly("a", "b");

        checker.sink(b.port()).healthy();
        assertThat(eventually(() -> count(pool, EndpointState.HEALTHY) == 1)).isTrue();
        assertThat(whos(pool, 4)).containsOnly("b");
    }

    @Test
    void panicModeSendsCallsToEveryEndpointWhenNoneIsHealthy() throws Exception {
        final TestServer a = server("a");
        final TestServer b = server("b");
        final RoutingUpstreamPool pool = pool("portico.upstream { endpoints = [\"" + a.endpoint() + "\", \""
                                              + b.endpoint() + "\"], panic-mode = true }");
        checker.sink(a.port()).unhealthy("NOT_SERVING");
        checker.sink(b.port()).unhealthy("NOT_SERVING");
        assertThat(eventually(() -> count(pool, EndpointState.UNHEALTHY) == 2)).isTrue();

        assertThat(new HashSet<>(whos(pool, 4))).containsExactlyInAnyOrder("a", "b");
    }

    @Test
    void anEndpointWhoseConnectionFailsIsLeftOut() throws Exception {
        final TestServer live = server("live");
        final int dead;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = socket.getLocalPort();
        }
        final RoutingUpstreamPool pool = pool("portico.upstream { endpoints = [\"127.0.0.1:" + dead + "\", \""
                                              + live.endpoint() + "\"], health-check.enabled = false }");

        final PickResult first = pool.pick(WHO);
        assertThat(((PickResult.Picked) first).endpoint().address().getPort()).isEqualTo(dead);
        final CompletableFuture<Status> failed = CompletableFuture.supplyAsync(() -> {
            try {
                TestServer.who(((PickResult.Picked) first).channel());
                return Status.OK;
            } catch (io.grpc.StatusRuntimeException e) {
                return e.getStatus();
            }
        });
        assertThat(failed.get(5, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.UNAVAILABLE);

        assertThat(eventually(() -> count(pool, EndpointState.UNHEALTHY) == 1)).isTrue();
        assertThat(whos(pool, 4)).containsOnly("live");
    }

    // ---- DNS ----

    /** Answers the name {@code backends.test} with whatever the test says. */
    private static final class TestResolver implements EndpointResolver {
        private volatile List<InetAddress> answers = List.of();
        private volatile boolean failing;

        void answer(String... addresses) throws UnknownHostException {
            final List<InetAddress> list = new ArrayList<>();
            for (String address : addresses) {
                list.add(InetAddress.getByName(address));
            }
            answers = List.copyOf(list);
        }

        @Override
        public List<InetAddress> resolve(String host) throws UnknownHostException {
            if (failing || !host.equals("backends.test")) {
                throw new UnknownHostException(host);
            }
            return answers;
        }
    }

    @Test
    void everyAddressOfANameIsAnEndpointAndChangesAreFollowed() throws Exception {
        final TestServer one = server("one");
        final TestServer two = keep(TestServer.start("two", "127.0.0.2", one.port()));
        final TestResolver resolver = new TestResolver();
        resolver.answer("127.0.0.1");
        final RoutingUpstreamPool pool = pool("portico.upstream { endpoints = [\"backends.test:" + one.port()
                                              + "\"], dns-refresh-interval = 50ms, health-check.enabled = false }",
                                              checker, resolver);
        assertThat(whos(pool, 3)).containsOnly("one");

        resolver.answer("127.0.0.1", "127.0.0.2");
        assertThat(eventually(() -> count(pool, EndpointState.HEALTHY) == 2)).isTrue();
        final List<String> both = whos(pool, 4);
        assertThat(both).containsOnly("one", "two");
        assertThat(both.get(0)).isNotEqualTo(both.get(1));
        assertThat(both.get(0)).isEqualTo(both.get(2));

        resolver.answer("127.0.0.2");
        assertThat(eventually(() -> count(pool, EndpointState.HEALTHY) == 1)).isTrue();
        assertThat(whos(pool, 3)).containsOnly("two");

        // A failing lookup keeps the last answer.
        resolver.failing = true;
        Thread.sleep(200);
        assertThat(whos(pool, 3)).containsOnly("two");
        final PickResult.Picked picked = (PickResult.Picked) pool.pick(WHO);
        assertThat(picked.endpoint().toString()).isEqualTo("backends.test/127.0.0.2:" + one.port());
    }

    @Test
    void aCallInFlightOnARemovedEndpointFinishes() throws Exception {
        final TestServer one = server("one");
        final TestServer two = keep(TestServer.start("two", "127.0.0.2", one.port()));
        final TestResolver resolver = new TestResolver();
        resolver.answer("127.0.0.1", "127.0.0.2");
        final RoutingUpstreamPool pool = pool("portico.upstream { endpoints = [\"backends.test:" + one.port()
                                              + "\"], dns-refresh-interval = 50ms }", checker, resolver);
        final PickResult.Picked onOne = (PickResult.Picked) pool.pick(WHO);
        assertThat(onOne.endpoint().address().getAddress().getHostAddress()).isEqualTo("127.0.0.1");
        one.hold();
        final CompletableFuture<String> inFlight = CompletableFuture.supplyAsync(() -> TestServer.who(onOne.channel()));
        Thread.sleep(100);

        resolver.answer("127.0.0.2");
        assertThat(eventually(() -> pool.clusters().get(0).describe().equals("1 endpoint: 1 starting"))).isTrue();
        assertThat(checker.stopped).as("its health check stopped").contains(onOne.endpoint());
        one.release();

        assertThat(inFlight.get(5, TimeUnit.SECONDS)).isEqualTo("one");
        assertThat(whos(pool, 3)).containsOnly("two");
    }

    @Test
    void aNameThatNeverResolvedLeavesTheClusterWithoutEndpoints() throws Exception {
        final TestResolver resolver = new TestResolver();
        resolver.failing = true;
        final RoutingUpstreamPool pool = pool("portico.upstream.endpoints = [\"backends.test:50051\"]",
                                              checker, resolver);

        assertThat(pool.pick(WHO)).isEqualTo(new PickResult.NoEndpoint(
                "upstream cluster default has no endpoints (unknown host backends.test)"));
    }

    // ---- passive ejection ----

    @Test
    void anEndpointFailingCallsInARowIsEjectedAndComesBack() throws Exception {
        final TestServer a = server("a");
        final TestServer b = server("b");
        final TestServer c = server("c");
        final RoutingUpstreamPool pool = pool("portico.upstream { endpoints = [\"" + a.endpoint() + "\", \""
                                              + b.endpoint() + "\", \"" + c.endpoint() + "\"]\n"
                                              + " health-check.enabled = false\n"
                                              + " outlier-detection { consecutive-failures = 2,"
                                              + " base-ejection-time = 300ms } }");
        final PickResult.Picked onA = (PickResult.Picked) pool.pick(WHO);
        final PickResult.Picked onB = (PickResult.Picked) pool.pick(WHO);

        onA.onCallClosed(Status.UNAVAILABLE);
        onA.onCallClosed(Status.UNAVAILABLE);
        assertThat(eventually(() -> count(pool, EndpointState.EJECTED) == 1)).isTrue();
        final long ejected = System.nanoTime();
        assertThat(whos(pool, 4)).containsOnly("b", "c");

        // The cap (50% of 3): a second endpoint failing stays in.
        onB.onCallClosed(Status.UNAVAILABLE);
        onB.onCallClosed(Status.UNAVAILABLE);
        Thread.sleep(50);
        assertThat(count(pool, EndpointState.EJECTED)).isEqualTo(1);

        assertThat(eventually(() -> count(pool, EndpointState.EJECTED) == 0)).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - ejected)).isGreaterThan(Duration.ofMillis(250));
        assertThat(new HashSet<>(whos(pool, 6))).containsExactlyInAnyOrder("a", "b", "c");
    }

    // ---- retries ----

    @Test
    void aRetryAvoidsTheEndpointsTriedAndStopsAtTheAttemptLimit() throws Exception {
        final TestServer a = server("a");
        final TestServer b = server("b");
        final TestServer c = server("c");
        final RoutingUpstreamPool pool = pool("portico.upstream { endpoints = [\"" + a.endpoint() + "\", \""
                                              + b.endpoint() + "\", \"" + c.endpoint() + "\"]"
                                              + ", health-check.enabled = false, max-attempts = 2 }");
        final PickResult.Picked first = (PickResult.Picked) pool.pick(WHO);

        final PickResult second = pool.retry(WHO, List.of(first.endpoint()));

        assertThat(second).isInstanceOf(PickResult.Picked.class);
        assertThat(((PickResult.Picked) second).endpoint()).isNotEqualTo(first.endpoint());
        assertThat(pool.retry(WHO, List.of(first.endpoint(), ((PickResult.Picked) second).endpoint())))
                .isInstanceOf(PickResult.NoEndpoint.class);
    }

    // ---- routing ----

    @Test
    void callsGoToTheClusterOfTheirServiceAndUnroutedOnesHaveNoRoute() throws Exception {
        final TestServer users = server("users");
        final TestServer orders = server("orders");
        final RoutingUpstreamPool pool = pool("portico.upstream.health-check.enabled = false\n"
                + "portico.upstream.clusters {\n"
                + "  users { endpoints = [\"" + users.endpoint() + "\"], services = [\"acme.users.*\"] }\n"
                + "  orders { endpoints = [\"" + orders.endpoint() + "\"], services = [\"acme.Orders\"] }\n"
                + "}");

        assertThat(who(pool.pick("acme.users.v1.Users/Get"))).isEqualTo("users");
        assertThat(who(pool.pick("acme.Orders/Place"))).isEqualTo("orders");
        assertThat(pool.pick("acme.Other/Do")).isEqualTo(new PickResult.NoRoute("no upstream cluster serves acme.Other"));
        assertThat(pool.clusterFor("acme.users.v1.Users")).contains("users");
        assertThat(pool.clusterFor("acme.Other")).isEmpty();
        assertThat(pool.clusters()).extracting(ClusterHealth::cluster).containsExactly("orders", "users");
    }

    // ---- metrics, listeners, close ----

    @Test
    void theGaugesCountEndpointsByClusterAndState() throws Exception {
        final TestServer a = server("a");
        final TestServer b = server("b");
        final RoutingUpstreamPool pool = pool("portico.upstream.endpoints = [\"" + a.endpoint() + "\", \""
                                              + b.endpoint() + "\"]");
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new UpstreamMetrics(pool).bindTo(registry);
        final List<String> changes = Collections.synchronizedList(new ArrayList<>());
        pool.onStateChange(() -> changes.add("changed"));

        checker.sink(a.port()).healthy();
        checker.sink(b.port()).unhealthy("NOT_SERVING");
        assertThat(eventually(() -> count(pool, EndpointState.UNHEALTHY) == 1)).isTrue();

        assertThat(gauge(registry, "healthy")).isEqualTo(1.0);
        assertThat(gauge(registry, "unhealthy")).isEqualTo(1.0);
        assertThat(gauge(registry, "starting")).isZero();
        assertThat(gauge(registry, "ejected")).isZero();
        assertThat(changes).hasSizeGreaterThanOrEqualTo(2);
    }

    private static double gauge(SimpleMeterRegistry registry, String state) {
        return registry.get("portico.upstream.endpoints").tags("cluster", "default", "state", state).gauge().value();
    }

    @Test
    void closingStopsTheChecksAndTheChecker() throws Exception {
        final TestServer a = server("a");
        final RoutingUpstreamPool pool = RoutingUpstreamPool.start(
                PorticoConfig.parse("portico.upstream.endpoints = [\"" + a.endpoint() + "\"]").upstreamPool(),
                limits(), checker, EndpointResolver.SYSTEM, TestLoops.LOOPS);

        pool.close();

        assertThat(checker.stopped).hasSize(1);
        assertThat(checker.closed).isTrue();
        assertThat(pool.pick(WHO)).isInstanceOf(PickResult.NoEndpoint.class);
    }

    private static LimitSettings limits() throws InvalidConfigException {
        return PorticoConfig.parse("").limits();
    }

    @Test
    void withTheNoneCheckerEveryEndpointIsHealthyAtOnce() throws Exception {
        final TestServer a = server("a");
        final RoutingUpstreamPool pool = pool("portico.upstream.endpoints = [\"" + a.endpoint() + "\"]",
                                              EndpointHealthChecker.none(), EndpointResolver.SYSTEM);

        assertThat(eventually(() -> count(pool, EndpointState.HEALTHY) == 1)).isTrue();
        assertThat(Set.copyOf(whos(pool, 2))).containsExactly("a");
    }
}
