package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.proxy.testing.PoolPortico;
import dev.portico.proxy.testing.Resources;
import dev.portico.proxy.testing.PoolPortico.Outcome;
import dev.portico.proxy.testing.TestBackend;
import dev.portico.upstream.EndpointState;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Health checks judged like a careful operator, against real grpc-java backends: a late health answer is one
 * failure, not a verdict, and calls that succeed outweigh it; a backend restarted on the same port is back
 * within one health-check interval, and calls that arrive meanwhile wait for it (bounded) instead of failing
 * at once.
 */
class UpstreamHealthJudgementTest {
    private static final Duration INTERVAL = Duration.ofSeconds(1);
    private static final Duration WAIT_FOR_READY = Duration.ofSeconds(2);

    private final Resources resources = new Resources();

    @AfterEach
    void closeAll() throws Exception {
        resources.close();
    }

    private static String pool(TestBackend backend, Duration interval, Duration timeout) {
        return "portico.upstream { endpoints = [\"" + backend.endpoint() + "\"], wait-for-ready-timeout = "
               + WAIT_FOR_READY.toMillis() + "ms\n"
               + "  health-check { interval = " + interval.toMillis() + "ms, timeout = " + timeout.toMillis()
               + "ms, unhealthy-threshold = 2 } }\n";
    }

    @Test
    void aSlowHealthServiceNeverEmptiesAOneEndpointClusterWhileCallsSucceed() throws Exception {
        final TestBackend backend = resources.keep(TestBackend.start("slow-health", "127.0.0.1", 0));
        // Every health answer comes after the probe has given up on it, from the first one on.
        backend.delayHealth(1500);
        final PoolPortico portico = resources.keep(PoolPortico.start(
                pool(backend, Duration.ofMillis(300), Duration.ofMillis(300))));

        final long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        int calls = 0;
        while (System.nanoTime() < end) {
            final Outcome outcome = portico.call("slow.v1.Slow/Get");
            calls++;
            assertThat(outcome.ok()).as("call %d: %s", calls, outcome).isTrue();
            assertThat(portico.count(EndpointState.UNHEALTHY)).as("after call %d: %s", calls,
                                                                 portico.server().upstreamHealth()).isZero();
            Thread.sleep(50);
        }
        // About 8 probes timed out, 4 times the unhealthy threshold over.
        assertThat(calls).isGreaterThan(20);
    }

    @Test
    void aBackendRestartedOnTheSamePortServesWithinOneIntervalAndCallsMeanwhileWait() throws Exception {
        final TestBackend before = TestBackend.start("before", "127.0.0.1", 0);
        final int port = before.port();
        final PoolPortico portico = resources.keep(PoolPortico.start(pool(before, INTERVAL, Duration.ofMillis(500))));
        portico.awaitAllHealthy();
        assertThat(portico.call("restart.v1.Restart/Get").backend()).isEqualTo("before");

        before.kill();
        Thread.sleep(200); // The connections' end has reached Portico: calls from now on find it restarting.
        final List<Timed> outcomes = new CopyOnWriteArrayList<>();
        final AtomicBoolean stop = new AtomicBoolean();
        final Thread caller = new Thread(() -> {
            while (!stop.get()) {
                final long start = System.nanoTime();
                final Outcome outcome = portico.call("restart.v1.Restart/Get");
                outcomes.add(new Timed(outcome, start, System.nanoTime()));
            }
        }, "restart-caller");
        caller.start();
        try {
            Thread.sleep(3_000); // Longer than the wait of one call.
            final long listening = System.nanoTime();
            resources.keep(TestBackend.start("after", "127.0.0.1", port));

            assertThat(PoolPortico.eventually(Duration.ofSeconds(10), () -> outcomes.stream().anyMatch(
                    t -> t.outcome().ok() && "after".equals(t.outcome().backend())))).isTrue();
            final Timed first = outcomes.stream().filter(t -> t.outcome().ok()).findFirst().orElseThrow();
            final Duration back = Duration.ofNanos(first.end() - listening);
            System.out.printf("first call served %d ms after the backend listened again%n", back.toMillis());
            // One interval for the next reconnection attempt, and a margin for a busy machine.
            assertThat(back).isLessThan(INTERVAL.plusMillis(1500));
        } finally {
            stop.set(true);
            caller.join(10_000);
        }

        for (Timed timed : outcomes) {
            if (!timed.outcome().ok()) {
                assertThat(timed.outcome().status().getCode()).as("%s", timed).isEqualTo(Status.Code.UNAVAILABLE);
                assertThat(timed.took()).as("a failed call waited for the endpoint first: %s", timed)
                        .isGreaterThanOrEqualTo(WAIT_FOR_READY.minusMillis(100));
            }
        }
        assertThat(outcomes.stream().filter(t -> t.outcome().ok())).isNotEmpty()
                .allMatch(t -> "after".equals(t.outcome().backend()));
    }

    /** One call made during a restart, and when. */
    private record Timed(Outcome outcome, long start, long end) {
        Duration took() {
            return Duration.ofNanos(end - start);
        }
    }
}
