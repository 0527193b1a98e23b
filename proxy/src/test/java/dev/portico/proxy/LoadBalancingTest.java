package dev.portico.proxy;

import static dev.portico.proxy.testing.PoolPortico.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import dev.portico.proxy.testing.PoolPortico;
import dev.portico.proxy.testing.PoolPortico.Outcome;
import dev.portico.proxy.testing.StandalonePortico;
import dev.portico.proxy.testing.TestBackend;
import dev.portico.upstream.EndpointState;
import io.grpc.CallOptions;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The upstream pool through a real Portico, in front of three real grpc-java backends on loopback that say
 * who they are: round robin, active health checks (Watch and Check), closing and killing a backend under
 * load, DNS names followed through a test resolver, fail-fast and panic mode, passive ejection, and safe
 * retry. Intervals are in the 100s of ms so that every test is over in a few seconds.
 */
class LoadBalancingTest {
    private static final String ECHO = "acme.echo.v1.Echo/Say";

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

    private List<TestBackend> threeBackends() throws IOException {
        final List<TestBackend> backends = new ArrayList<>();
        for (String name : List.of("b1", "b2", "b3")) {
            backends.add(keep(TestBackend.start(name, "127.0.0.1", 0)));
        }
        return backends;
    }

    private static String endpoints(List<TestBackend> backends) {
        return backends.stream().map(b -> '"' + b.endpoint() + '"').toList().toString();
    }

    private static Map<String, Integer> spread(PoolPortico portico, int calls) {
        final Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < calls; i++) {
            final Outcome outcome = portico.call(ECHO);
            assertThat(outcome.status().getCode()).as("call %d: %s", i, outcome.status()).isEqualTo(Status.Code.OK);
            counts.merge(outcome.backend(), 1, Integer::sum);
        }
        return counts;
    }

    // ---- round robin ----

    @Test
    void threeHundredCallsAreSpreadEvenlyOverThreeBackends() throws Exception {
        final List<TestBackend> backends = threeBackends();
        final PoolPortico portico = keep(PoolPortico.start(
                "portico.upstream { endpoints = " + endpoints(backends) + ", health-check.interval = 200ms }"));
        portico.awaitAllHealthy();

        final Map<String, Integer> counts = spread(portico, 300);

        assertThat(counts).containsOnlyKeys("b1", "b2", "b3");
        assertThat(counts.values()).allSatisfy(n -> assertThat(n).isBetween(90, 110));
    }

    // ---- active health checks ----

    @Test
    void aBackendTurningNotServingIsLeftOutWithinTheIntervalAndTakenBackWhenServing() throws Exception {
        final List<TestBackend> backends = threeBackends();
        final PoolPortico portico = keep(PoolPortico.start(
                "portico.upstream { endpoints = " + endpoints(backends) + ", health-check.interval = 300ms }"));
        portico.awaitAllHealthy();

        backends.get(1).setServing(false);
        final long flipped = System.nanoTime();
        // Watch: the backend announces the change, so Portico leaves it out well within one interval.
        assertThat(eventually(Duration.ofMillis(300), () -> portico.count(EndpointState.UNHEALTHY) == 1))
                .as("b2 unhealthy within the interval").isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - flipped)).isLessThan(Duration.ofMillis(300));
        assertThat(spread(portico, 30)).containsOnlyKeys("b1", "b3");

        backends.get(1).setServing(true);
        assertThat(eventually(Duration.ofMillis(300), () -> portico.count(EndpointState.HEALTHY) == 3))
                .as("b2 back within the interval").isTrue();
        assertThat(spread(portico, 30)).containsOnlyKeys("b1", "b2", "b3");
    }

    @Test
    void withCheckPollingANotServingBackendIsLeftOutAfterTheUnhealthyThreshold() throws Exception {
        final List<TestBackend> backends = threeBackends();
        final PoolPortico portico = keep(PoolPortico.start(
                "portico.upstream { endpoints = " + endpoints(backends) + "\n"
                + " health-check { mode = check, interval = 100ms, timeout = 500ms, unhealthy-threshold = 2,"
                + " healthy-threshold = 2 } }"));
        portico.awaitAllHealthy();

        backends.get(0).setServing(false);
        final long flipped = System.nanoTime();
        // Two failed checks 100 ms (+/- 10%) apart: within three intervals.
        assertThat(eventually(Duration.ofMillis(400), () -> portico.count(EndpointState.UNHEALTHY) == 1)).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - flipped)).isGreaterThan(Duration.ofMillis(80));
        assertThat(spread(portico, 30)).containsOnlyKeys("b2", "b3");

        backends.get(0).setServing(true);
        assertThat(eventually(Duration.ofMillis(400), () -> portico.count(EndpointState.HEALTHY) == 3)).isTrue();
        assertThat(spread(portico, 30)).containsOnlyKeys("b1", "b2", "b3");
    }

    @Test
    void aBackendWithoutTheHealthServiceIsHealthyWhileReachable() throws Exception {
        final TestBackend plain = keep(TestBackend.startWithoutHealthService("plain"));
        final PoolPortico portico = keep(PoolPortico.start(
                "portico.upstream { endpoints = [\"" + plain.endpoint() + "\"], health-check.interval = 100ms }"));

        portico.awaitAllHealthy();

        assertThat(portico.call(ECHO).backend()).isEqualTo("plain");
    }

    // ---- losing a backend under load ----

    /** Four threads calling in a loop; every call records when it started and how it ended. */
    private static final class Load implements AutoCloseable {
        record Result(long startNanos, String id, Outcome outcome) {
        }

        private final ExecutorService threads = Executors.newFixedThreadPool(4);
        private final List<Future<?>> workers = new ArrayList<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<Result> results = new CopyOnWriteArrayList<>();
        private final AtomicInteger ids = new AtomicInteger();

        Load(PoolPortico portico) {
            for (int w = 0; w < 4; w++) {
                workers.add(threads.submit(() -> {
                    while (running.get()) {
                        final String id = "call-" + ids.incrementAndGet();
                        final long start = System.nanoTime();
                        results.add(new Result(start, id, portico.call(ECHO, id)));
                    }
                }));
            }
        }

        List<Result> stop() throws Exception {
            running.set(false);
            for (Future<?> worker : workers) {
                worker.get(10, TimeUnit.SECONDS);
            }
            return results;
        }

        @Override
        public void close() {
            running.set(false);
            threads.shutdownNow();
        }
    }

    @Test
    void closingABackendUnderASteadyStreamOfCallsLosesNoCall() throws Exception {
        final List<TestBackend> backends = threeBackends();
        backends.forEach(b -> b.delay(5));
        final PoolPortico portico = keep(PoolPortico.start(
                "portico.upstream { endpoints = " + endpoints(backends) + ", health-check.interval = 300ms }"));
        portico.awaitAllHealthy();
        final Load load = keep(new Load(portico));

        Thread.sleep(300);
        // Graceful: GOAWAY, the calls it took finish; the ones Portico then sends it are refused before any
        // byte goes out, and go to another backend.
        backends.get(2).shutdownGracefully();
        Thread.sleep(700);
        final List<Load.Result> results = load.stop();

        assertThat(results.stream().filter(r -> !r.outcome().ok()).toList()).as("failed calls").isEmpty();
        assertThat(results.size()).isGreaterThan(100);
        final long after = results.stream().filter(r -> r.outcome().backend().equals("b3")).count();
        assertThat(after).as("b3 took calls before it closed").isPositive();
    }

    @Test
    void killingABackendUnderASteadyStreamOfCallsLosesOnlyCallsInFlightOnIt() throws Exception {
        final List<TestBackend> backends = threeBackends();
        backends.forEach(b -> b.delay(5));
        // Slow checks: the killed backend stays in the picker for a while, so calls keep being sent to it and
        // must be moved to another backend before they reach it.
        final PoolPortico portico = keep(PoolPortico.start(
                "portico.upstream { endpoints = " + endpoints(backends) + "\n"
                + " health-check { interval = 5s, unhealthy-threshold = 3 }, outlier-detection.enabled = false }"));
        portico.awaitAllHealthy();
        final Load load = keep(new Load(portico));

        Thread.sleep(300);
        final TestBackend victim = backends.get(1);
        final long killStart = System.nanoTime();
        victim.kill();
        final long killed = System.nanoTime();
        Thread.sleep(1000);
        final List<Load.Result> results = load.stop();

        final List<Load.Result> failed = results.stream().filter(r -> !r.outcome().ok()).toList();
        // Only the calls in flight on it when it died may fail: at most one per calling thread, each started
        // before the kill was over (a few ms for the client to see the connection go).
        assertThat(failed).as("failed calls").hasSizeLessThanOrEqualTo(4)
                          .allSatisfy(r -> assertThat(r.startNanos()).isLessThan(killed + 50_000_000L));
        final List<Load.Result> later = results.stream().filter(r -> r.startNanos() > killed + 50_000_000L).toList();
        assertThat(later).as("calls after the kill").hasSizeGreaterThan(50)
                         .allSatisfy(r -> assertThat(r.outcome().ok()).as("%s", r).isTrue());
        assertThat(results.stream().filter(r -> r.startNanos() < killStart && r.outcome().ok())
                          .map(r -> r.outcome().backend())).contains("b2");
    }

    @Test
    void aCallRefusedByADeadEndpointIsSentToAnotherTransparently() throws Exception {
        final List<TestBackend> backends = threeBackends();
        final int dead = StandalonePortico.closedPort();
        // Health checks off: nothing tells Portico the first endpoint is dead before calls go to it.
        final PoolPortico portico = keep(PoolPortico.start(
                "portico.upstream { endpoints = [\"127.0.0.1:" + dead + "\", \"" + backends.get(0).endpoint()
                + "\"], health-check.enabled = false }"));

        for (int i = 0; i < 20; i++) {
            final Outcome outcome = portico.call(ECHO, "c" + i);
            assertThat(outcome.status().getCode()).as("call %d: %s", i, outcome.status()).isEqualTo(Status.Code.OK);
            assertThat(outcome.backend()).isEqualTo("b1");
        }
    }

    /**
     * With the schema known, a unary call's headers, message and end go upstream in one write, before the
     * stream exists; the message is kept until it does, so that a call refused by a dead endpoint still
     * reaches the next one whole.
     */
    @Test
    void aUnaryCallWithAKnownSchemaRefusedByADeadEndpointReachesAnotherWithItsMessage(@TempDir Path dir)
            throws Exception {
        final List<TestBackend> backends = threeBackends();
        final int dead = StandalonePortico.closedPort();
        final Path set = Files.write(dir.resolve("echo.binpb"), echoDescriptorSet().toByteArray());
        final PoolPortico portico = keep(PoolPortico.start(
                "portico.upstream { endpoints = [\"127.0.0.1:" + dead + "\", \"" + backends.get(0).endpoint()
                + "\"], health-check.enabled = false }\n"
                + "portico.schema { reflection = false, descriptor-sets = [\"" + set + "\"] }"));

        for (int i = 0; i < 20; i++) {
            final byte[] message = ("message " + i).getBytes(StandardCharsets.UTF_8);
            final byte[] echoed = ClientCalls.blockingUnaryCall(
                    portico.channel(), PoolPortico.unary(ECHO), CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS),
                    message);
            assertThat(new String(echoed, StandardCharsets.UTF_8)).as("call %d", i).isEqualTo("message " + i);
        }
        assertThat(backends.get(0).calls()).isEqualTo(20);
    }

    /** {@code acme.echo.v1.Echo/Say} as a unary method, which is all Portico needs of its schema here. */
    private static FileDescriptorSet echoDescriptorSet() {
        final DescriptorProto message = DescriptorProto.newBuilder().setName("Bytes").build();
        return FileDescriptorSet.newBuilder().addFile(FileDescriptorProto.newBuilder()
                .setName("acme/echo/v1/echo.proto")
                .setPackage("acme.echo.v1")
                .addMessageType(message)
                .addService(ServiceDescriptorProto.newBuilder().setName("Echo").addMethod(
                        MethodDescriptorProto.newBuilder().setName("Say")
                                .setInputType(".acme.echo.v1.Bytes").setOutputType(".acme.echo.v1.Bytes"))))
                .build();
    }

    @Test
    void withOneAttemptACallRefusedByADeadEndpointFailsNamingIt() throws Exception {
        final List<TestBackend> backends = threeBackends();
        final int dead = StandalonePortico.closedPort();
        final PoolPortico portico = keep(PoolPortico.start(
                "portico.upstream { endpoints = [\"127.0.0.1:" + dead + "\", \"" + backends.get(0).endpoint()
                + "\"], health-check.enabled = false, max-attempts = 1 }\n"
                + "portico.errors.expose-upstream-details = true"));

        final Outcome first = portico.call(ECHO);

        assertThat(first.status().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(first.status().getDescription()).contains("127.0.0.1:" + dead);
    }

    // ---- DNS ----

    /** A resolver whose answers the test changes; it resolves only {@code backends.test}. */
    private static final class TestResolver implements dev.portico.upstream.EndpointResolver {
        private volatile List<InetAddress> answers = List.of();
        private final AtomicInteger lookups = new AtomicInteger();

        void answer(String... addresses) throws IOException {
            final List<InetAddress> list = new ArrayList<>();
            for (String address : addresses) {
                list.add(InetAddress.getByName(address));
            }
            answers = List.copyOf(list);
        }

        @Override
        public List<InetAddress> resolve(String host) throws java.net.UnknownHostException {
            lookups.incrementAndGet();
            if (!host.equals("backends.test")) {
                throw new java.net.UnknownHostException(host);
            }
            return answers;
        }
    }

    /** Three backends on 127.0.0.1, .2 and .3, all on one port, as the records of one name would be. */
    private List<TestBackend> threeBackendsOnOnePort() throws IOException {
        for (int attempt = 0; ; attempt++) {
            final TestBackend first = TestBackend.start("b1", "127.0.0.1", 0);
            try {
                final TestBackend second = TestBackend.start("b2", "127.0.0.2", first.port());
                try {
                    final TestBackend third = TestBackend.start("b3", "127.0.0.3", first.port());
                    return List.of(keep(first), keep(second), keep(third));
                } catch (IOException e) {
                    closeQuietly(second);
                    throw e;
                }
            } catch (IOException e) {
                closeQuietly(first);
                if (attempt == 5 || !(e.getCause() instanceof BindException || e instanceof BindException)) {
                    throw e;
                }
            }
        }
    }

    private static void closeQuietly(TestBackend backend) {
        try {
            backend.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aDnsNameWithSeveralRecordsIsFollowedAsItsRecordsChange() throws Exception {
        final List<TestBackend> backends = threeBackendsOnOnePort();
        final TestResolver resolver = new TestResolver();
        resolver.answer("127.0.0.1", "127.0.0.2");
        final PoolPortico portico = keep(PoolPortico.start(
                "portico.upstream { endpoints = [\"backends.test:" + backends.get(0).port() + "\"]\n"
                + " dns-refresh-interval = 100ms, health-check.interval = 200ms }", resolver));
        portico.awaitAllHealthy();

        assertThat(spread(portico, 30)).containsOnlyKeys("b1", "b2");

        resolver.answer("127.0.0.2", "127.0.0.3");
        assertThat(eventually(Duration.ofSeconds(2), () -> spread(portico, 6).keySet().equals(
                java.util.Set.of("b2", "b3")))).as("b1 gone, b3 in").isTrue();
        assertThat(spread(portico, 30)).containsOnlyKeys("b2", "b3");

        resolver.answer("127.0.0.1", "127.0.0.2", "127.0.0.3");
        assertThat(eventually(Duration.ofSeconds(2), () -> spread(portico, 6).size() == 3)).isTrue();
        assertThat(spread(portico, 30)).containsOnlyKeys("b1", "b2", "b3");
        assertThat(resolver.lookups.get()).as("the first lookup and a refresh per change").isGreaterThanOrEqualTo(3);
    }

    @Test
    void aNameThatStopsResolvingKeepsItsLastAddresses() throws Exception {
        final List<TestBackend> backends = threeBackendsOnOnePort();
        final TestResolver resolver = new TestResolver();
        resolver.answer("127.0.0.1", "127.0.0.3");
        final PoolPortico portico = keep(PoolPortico.start(
                "portico.upstream { endpoints = [\"backends.test:" + backends.get(0).port() + "\"]\n"
                + " dns-refresh-interval = 100ms }", new dev.portico.upstream.EndpointResolver() {
                    private final AtomicInteger lookups = new AtomicInteger();

                    @Override
                    public List<InetAddress> resolve(String host) throws java.net.UnknownHostException {
                        if (lookups.incrementAndGet() > 1) {
                            throw new java.net.UnknownHostException(host + ": DNS is down");
                        }
                        return resolver.resolve(host);
                    }
                }));
        portico.awaitAllHealthy();
        Thread.sleep(300); // a few failed refreshes

        assertThat(spread(portico, 30)).containsOnlyKeys("b1", "b3");
    }

    // ---- no healthy endpoint ----

    @Test
    void whenNoBackendIsHealthyCallsFailAtOnceWithUnavailableNamingTheClusterWhenDetailsAreExposed()
            throws Exception {
        final List<TestBackend> backends = threeBackends();
        final PoolPortico portico = keep(PoolPortico.start(
                "portico.upstream { endpoints = " + endpoints(backends) + ", health-check.interval = 100ms }\n"
                + "portico.errors.expose-upstream-details = true"));
        portico.awaitAllHealthy();
        backends.forEach(b -> b.setServing(false));
        assertThat(eventually(Duration.ofSeconds(1), () -> !portico.server().readiness().check().ready())).isTrue();
        final int before = backends.stream().mapToInt(TestBackend::calls).sum();

        final long start = System.nanoTime();
        final Outcome outcome = portico.call(ECHO);
        final Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(outcome.status().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(outcome.status().getDescription())
                .isEqualTo("no healthy endpoint in upstream cluster default (3 endpoints: 3 unhealthy)");
        assertThat(took).isLessThan(Duration.ofMillis(500));
        assertThat(backends.stream().mapToInt(TestBackend::calls).sum()).as("no backend was asked").isEqualTo(before);
    }

    @Test
    void inPanicModeCallsGoToAllBackendsWhenNoneIsHealthy() throws Exception {
        final List<TestBackend> backends = threeBackends();
        final PoolPortico portico = keep(PoolPortico.start(
                "portico.upstream { endpoints = " + endpoints(backends) + ", health-check.interval = 100ms,"
                + " panic-mode = true }"));
        portico.awaitAllHealthy();
        backends.forEach(b -> b.setServing(false));
        assertThat(eventually(Duration.ofSeconds(1), () -> !portico.server().readiness().check().ready())).isTrue();

        assertThat(spread(portico, 30)).containsOnlyKeys("b1", "b2", "b3");
    }

    // ---- passive ejection ----

    @Test
    void aBackendWhoseCallsKeepFailingUnavailableIsEjectedForAWhile() throws Exception {
        final List<TestBackend> backends = threeBackends();
        final PoolPortico portico = keep(PoolPortico.start(
                "portico.upstream { endpoints = " + endpoints(backends) + "\n"
                + " outlier-detection { consecutive-failures = 3, base-ejection-time = 400ms } }"));
        portico.awaitAllHealthy();
        backends.get(0).failWith(Status.UNAVAILABLE.withDescription("overloaded"));

        // Round robin: every third call reaches b1 and fails (it reached it, so it is not retried).
        int failures = 0;
        for (int i = 0; i < 9; i++) {
            final Outcome outcome = portico.call(ECHO);
            if (!outcome.ok()) {
                failures++;
                assertThat(outcome.backend()).isEqualTo("b1");
                assertThat(outcome.status().getDescription()).isEqualTo("overloaded");
            }
        }
        assertThat(failures).isEqualTo(3);
        assertThat(eventually(Duration.ofMillis(200), () -> portico.count(EndpointState.EJECTED) == 1)).isTrue();
        final long ejected = System.nanoTime();
        assertThat(spread(portico, 20)).containsOnlyKeys("b2", "b3");

        backends.get(0).failWith(null);
        assertThat(eventually(Duration.ofSeconds(1), () -> portico.count(EndpointState.HEALTHY) == 3)).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - ejected)).isGreaterThan(Duration.ofMillis(300));
        assertThat(spread(portico, 30)).containsOnlyKeys("b1", "b2", "b3");
    }
}
