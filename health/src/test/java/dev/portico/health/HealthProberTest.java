package dev.portico.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.config.HealthCheckMode;
import dev.portico.config.HealthCheckSettings;
import dev.portico.config.HostAndPort;
import dev.portico.config.UnimplementedHealthRule;
import dev.portico.upstream.Endpoint;
import dev.portico.upstream.EndpointHealthChecker;
import dev.portico.upstream.EndpointHealthSink;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The prober against real grpc-java servers with the standard health service: answers that the endpoint does
 * not serve count at once, SERVING from Check after the healthy threshold, checks without an answer (timeouts,
 * errors) only after the unhealthy threshold; servers without the service follow the configured rule, and a
 * closed check reports nothing more.
 */
class HealthProberTest {
    private static final Duration WAIT = Duration.ofSeconds(3);

    private final HealthProber prober = new HealthProber();
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        prober.close();
        Collections.reverse(resources);
        for (AutoCloseable resource : resources) {
            resource.close();
        }
    }

    /** Verdicts in the order they came. */
    private static final class Verdicts implements EndpointHealthSink {
        final BlockingQueue<String> queue = new LinkedBlockingQueue<>();

        @Override
        public void healthy() {
            queue.add("healthy");
        }

        @Override
        public void unhealthy(String reason) {
            queue.add("unhealthy: " + reason);
        }

        @Override
        public void checksFailing(String reason) {
            queue.add("failing: " + reason);
        }

        String next() throws InterruptedException {
            final String verdict = queue.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(verdict).as("a verdict within " + WAIT).isNotNull();
            return verdict;
        }

        String nextWithin(Duration timeout) throws InterruptedException {
            return queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private record Backend(Server server, HealthStatusManager health) implements AutoCloseable {
        @Override
        public void close() throws InterruptedException {
            server.shutdownNow();
            server.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private Backend backend(boolean healthService) throws IOException {
        final HealthStatusManager health = new HealthStatusManager();
        final NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0));
        if (healthService) {
            builder.addService(health.getHealthService());
        }
        final Backend backend = new Backend(builder.build().start(), health);
        resources.add(backend);
        return backend;
    }

    private ManagedChannel channelTo(int port) {
        final ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        resources.add(channel::shutdownNow);
        return channel;
    }

    private static Endpoint endpoint(int port) {
        return new Endpoint(new HostAndPort("127.0.0.1", port),
                            new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    }

    private static HealthCheckSettings settings(HealthCheckMode mode, String service, int healthy, int unhealthy,
                                                UnimplementedHealthRule rule) {
        // A generous timeout: on a busy machine even a local answer can take a while.
        return new HealthCheckSettings(true, mode, service, Duration.ofMillis(100), Duration.ofSeconds(2),
                                       healthy, unhealthy, rule);
    }

    private Verdicts start(int port, HealthCheckSettings settings) {
        final Verdicts verdicts = new Verdicts();
        final EndpointHealthChecker.HealthCheck check = prober.start(endpoint(port), channelTo(port), settings,
                                                                     verdicts);
        resources.add(check);
        return verdicts;
    }

    @Test
    void watchAnswersCountAtOnce() throws Exception {
        final Backend backend = backend(true);
        final Verdicts verdicts = start(backend.server().getPort(), settings(
                HealthCheckMode.AUTO, "", 3, 3, UnimplementedHealthRule.HEALTHY_IF_REACHABLE));

        assertThat(verdicts.next()).isEqualTo("healthy");
        final long flipped = System.nanoTime();
        backend.health().setStatus("", ServingStatus.NOT_SERVING);
        assertThat(verdicts.next()).isEqualTo("unhealthy: Watch reported NOT_SERVING");
        // Thresholds of 3 do not apply to Watch: the server announced the change itself.
        assertThat(Duration.ofNanos(System.nanoTime() - flipped)).isLessThan(Duration.ofMillis(100));
        backend.health().setStatus("", ServingStatus.SERVING);
        assertThat(verdicts.next()).isEqualTo("healthy");
    }

    @Test
    void watchAsksAboutTheConfiguredService() throws Exception {
        final Backend backend = backend(true);
        backend.health().setStatus("acme.Orders", ServingStatus.SERVING);
        final Verdicts verdicts = start(backend.server().getPort(), settings(
                HealthCheckMode.AUTO, "acme.Orders", 1, 1, UnimplementedHealthRule.HEALTHY_IF_REACHABLE));

        assertThat(verdicts.next()).isEqualTo("healthy");
        backend.health().setStatus("acme.Orders", ServingStatus.NOT_SERVING);
        assertThat(verdicts.next()).isEqualTo("unhealthy: Watch reported NOT_SERVING for service acme.Orders");
    }

    @Test
    void aServiceTheServerDoesNotKnowIsUnhealthy() throws Exception {
        final Backend backend = backend(true);

        final Verdicts watched = start(backend.server().getPort(), settings(
                HealthCheckMode.AUTO, "acme.Unknown", 1, 1, UnimplementedHealthRule.HEALTHY_IF_REACHABLE));
        final Verdicts checked = start(backend.server().getPort(), settings(
                HealthCheckMode.CHECK, "acme.Unknown", 1, 1, UnimplementedHealthRule.HEALTHY_IF_REACHABLE));

        assertThat(watched.next()).isEqualTo("unhealthy: Watch reported SERVICE_UNKNOWN for service acme.Unknown");
        assertThat(checked.next()).isEqualTo("unhealthy: it does not know the service for service acme.Unknown");
    }

    @Test
    void checkAnswersOfNotServingCountAtOnceAndServingAfterTheHealthyThreshold() throws Exception {
        final Backend backend = backend(true);
        final Verdicts verdicts = start(backend.server().getPort(), settings(
                HealthCheckMode.CHECK, "", 2, 3, UnimplementedHealthRule.HEALTHY_IF_REACHABLE));
        assertThat(verdicts.next()).as("the first result decides").isEqualTo("healthy");

        backend.health().setStatus("", ServingStatus.NOT_SERVING);
        // The endpoint said so: no threshold of 3 applies.
        assertThat(verdicts.next()).isEqualTo("unhealthy: Check reported NOT_SERVING");

        final long back = System.nanoTime();
        backend.health().setStatus("", ServingStatus.SERVING);
        assertThat(verdicts.next()).isEqualTo("healthy");
        // Two SERVING checks, 100 ms (+/- 10%) apart: at least one interval.
        assertThat(Duration.ofNanos(System.nanoTime() - back)).isGreaterThan(Duration.ofMillis(80));
    }

    @Test
    void checksWithoutAnAnswerCountOnlyAfterTheUnhealthyThreshold() throws Exception {
        final Backend backend = backend(true);
        final Verdicts verdicts = start(backend.server().getPort(), settings(
                HealthCheckMode.CHECK, "", 1, 3, UnimplementedHealthRule.HEALTHY_IF_REACHABLE));
        assertThat(verdicts.next()).isEqualTo("healthy");

        final long killed = System.nanoTime();
        backend.close();

        assertThat(verdicts.next()).startsWith("failing: Check failed: UNAVAILABLE").endsWith("(3 checks in a row)");
        // Three failed checks, 100 ms (+/- 10%) apart: at least two intervals.
        assertThat(Duration.ofNanos(System.nanoTime() - killed)).isGreaterThan(Duration.ofMillis(170));
        assertThat(verdicts.next()).as("repeated on the next one").endsWith("(4 checks in a row)");
    }

    @Test
    void aLateFirstAnswerIsOneFailureNotAVerdict() throws Exception {
        // A port that accepts connections and never answers: every Watch times out.
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            final Verdicts verdicts = start(silent.getLocalPort(), new HealthCheckSettings(
                    true, HealthCheckMode.AUTO, "", Duration.ofMillis(100), Duration.ofMillis(300), 1, 2,
                    UnimplementedHealthRule.HEALTHY_IF_REACHABLE));

            assertThat(verdicts.next()).as("after two timeouts, not one")
                    .isEqualTo("failing: no answer to Watch within 300 ms (2 checks in a row)");
        }
    }

    @Test
    void aServerWithoutTheHealthServiceIsHealthyIfReachableByDefault() throws Exception {
        final Backend backend = backend(false);

        final Verdicts verdicts = start(backend.server().getPort(), settings(
                HealthCheckMode.AUTO, "", 1, 1, UnimplementedHealthRule.HEALTHY_IF_REACHABLE));

        assertThat(verdicts.next()).isEqualTo("healthy");
        backend.close();
        assertThat(verdicts.next()).startsWith("failing: Check failed: UNAVAILABLE");
    }

    @Test
    void aServerWithoutTheHealthServiceCanBeRuledUnhealthy() throws Exception {
        final Backend backend = backend(false);

        final Verdicts verdicts = start(backend.server().getPort(), settings(
                HealthCheckMode.AUTO, "", 1, 1, UnimplementedHealthRule.UNHEALTHY));

        assertThat(verdicts.next()).isEqualTo("unhealthy: it does not implement grpc.health.v1.Health");
    }

    @Test
    void anUnreachableEndpointFailsItsChecks() throws Exception {
        final int dead;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = socket.getLocalPort();
        }

        final Verdicts watched = start(dead, settings(
                HealthCheckMode.AUTO, "", 1, 2, UnimplementedHealthRule.HEALTHY_IF_REACHABLE));

        assertThat(watched.next()).startsWith("failing: Watch ended: UNAVAILABLE");
    }

    @Test
    void aBackendThatDiesFailsItsChecksAfterTheThresholdOfBrokenWatches() throws Exception {
        final Backend backend = backend(true);
        final Verdicts verdicts = start(backend.server().getPort(), settings(
                HealthCheckMode.AUTO, "", 1, 2, UnimplementedHealthRule.HEALTHY_IF_REACHABLE));
        assertThat(verdicts.next()).isEqualTo("healthy");

        backend.close();

        assertThat(verdicts.next()).startsWith("failing: Watch ended: UNAVAILABLE").endsWith("(2 checks in a row)");
    }

    @Test
    void aClosedCheckReportsNothingMore() throws Exception {
        final Backend backend = backend(true);
        final Verdicts verdicts = new Verdicts();
        final EndpointHealthChecker.HealthCheck check = prober.start(
                endpoint(backend.server().getPort()), channelTo(backend.server().getPort()),
                settings(HealthCheckMode.AUTO, "", 1, 1, UnimplementedHealthRule.HEALTHY_IF_REACHABLE), verdicts);
        assertThat(verdicts.next()).isEqualTo("healthy");

        check.close();
        Thread.sleep(50);
        backend.health().setStatus("", ServingStatus.NOT_SERVING);

        assertThat(verdicts.nextWithin(Duration.ofMillis(300))).isNull();
    }
}
