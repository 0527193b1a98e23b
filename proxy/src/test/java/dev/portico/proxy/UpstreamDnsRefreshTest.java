package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.proxy.testing.HostsFile;
import dev.portico.proxy.testing.PoolPortico;
import dev.portico.proxy.testing.Resources;
import dev.portico.proxy.testing.TestBackend;
import dev.portico.upstream.DnsEndpointResolver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A DNS name's endpoints follow its records within one {@code dns-refresh-interval}, through the resolver
 * Portico ships ({@link DnsEndpointResolver}) pointed at a hosts file the test rewrites: two backends on the
 * same port of 127.0.0.2 and 127.0.0.3, as the pods of a Kubernetes headless Service would be.
 */
class UpstreamDnsRefreshTest {
    private static final String NAME = "pods.portico.test";
    private static final Duration REFRESH = Duration.ofSeconds(2);
    /** Resolution, a new connection and its first health answer, on a busy machine. */
    private static final Duration MARGIN = Duration.ofMillis(1500);

    private final Resources resources = new Resources();

    @TempDir
    Path dir;

    @AfterEach
    void closeAll() throws Exception {
        resources.close();
    }

    @Test
    void aNameGainsAndLosesEndpointsWithinOneRefreshInterval() throws Exception {
        final TestBackend first = resources.keep(TestBackend.start("first", "127.0.0.2", 0));
        final TestBackend second = resources.keep(TestBackend.start("second", "127.0.0.3", first.port()));
        final Path hosts = dir.resolve("hosts");
        HostsFile.write(hosts, NAME, "127.0.0.2");
        final PoolPortico portico = resources.keep(PoolPortico.start(
                "portico.upstream { endpoints = [\"" + NAME + ":" + first.port() + "\"], dns-refresh-interval = "
                + REFRESH.toMillis() + "ms, health-check.interval = 200ms }\n",
                DnsEndpointResolver.withHostsFile(hosts)));
        portico.awaitAllHealthy();
        assertThat(backendsOf(portico, 6)).containsExactly("first");

        // A pod joins.
        HostsFile.write(hosts, NAME, "127.0.0.2", "127.0.0.3");
        long start = System.nanoTime();
        assertThat(PoolPortico.eventually(REFRESH.plus(MARGIN), () -> backendsOf(portico, 4).contains("second")))
                .as("127.0.0.3 joined within one refresh").isTrue();
        final Duration joined = Duration.ofNanos(System.nanoTime() - start);
        assertThat(backendsOf(portico, 6)).containsExactlyInAnyOrder("first", "second");

        // A pod leaves.
        HostsFile.write(hosts, NAME, "127.0.0.3");
        start = System.nanoTime();
        assertThat(PoolPortico.eventually(REFRESH.plus(MARGIN), () -> backendsOf(portico, 6).equals(Set.of("second"))))
                .as("127.0.0.2 left within one refresh").isTrue();
        final Duration left = Duration.ofNanos(System.nanoTime() - start);
        assertThat(backendsOf(portico, 10)).containsExactly("second");
        System.out.printf("joined after %d ms, left after %d ms (refresh %d ms)%n", joined.toMillis(),
                          left.toMillis(), REFRESH.toMillis());
    }

    /** Which backends answered {@code calls} calls in a row. */
    private static Set<String> backendsOf(PoolPortico portico, int calls) {
        final Set<String> seen = new HashSet<>();
        for (int i = 0; i < calls; i++) {
            final PoolPortico.Outcome outcome = portico.call("pods.v1.Pods/Get");
            assertThat(outcome.ok()).as("%s", outcome).isTrue();
            seen.add(outcome.backend());
        }
        return seen;
    }
}
