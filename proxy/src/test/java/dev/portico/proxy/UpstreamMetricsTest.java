package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.proxy.testing.HostsFile;
import dev.portico.proxy.testing.PoolPortico;
import dev.portico.proxy.testing.PrometheusScrape;
import dev.portico.proxy.testing.Resources;
import dev.portico.proxy.testing.StandalonePortico;
import dev.portico.proxy.testing.TestBackend;
import dev.portico.upstream.DnsEndpointResolver;
import dev.portico.upstream.EndpointState;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-endpoint upstream series ({@code cluster}, {@code endpoint}) and the retries, through a real Portico
 * in front of real grpc-java backends: picks and outcomes add up to the calls made, health checks, state
 * changes and ejections move, and an endpoint that leaves takes its series with it.
 */
class UpstreamMetricsTest {
    private static final String ECHO = "acme.echo.v1.Echo/Say";
    private static final String DNS_NAME = "pods.portico.test";

    private final Resources resources = new Resources();

    @TempDir
    Path dir;

    @AfterEach
    void closeAll() throws Exception {
        resources.close();
    }

    @Test
    void picksOutcomesAndRetriesAddUpToTheCallsMade() throws Exception {
        final TestBackend live = resources.keep(TestBackend.start("live", "127.0.0.1", 0));
        final String dead = "127.0.0.1:" + StandalonePortico.closedPort();
        // Health checks off: the first call goes to the dead endpoint, is refused, and is retried on the other.
        final PoolPortico portico = resources.keep(PoolPortico.start(
                "portico.upstream { endpoints = [\"" + dead + "\", \"" + live.endpoint()
                + "\"], health-check.enabled = false }"));
        for (int i = 0; i < 20; i++) {
            final PoolPortico.Outcome outcome = portico.call(ECHO);
            assertThat(outcome.ok()).as("call %d: %s", i, outcome).isTrue();
        }

        final PrometheusScrape metrics = PrometheusScrape.fetch(portico.server().adminPort());
        final double retries = metrics.value("portico_upstream_retries_total", Map.of("cluster", "default"))
                .orElseThrow();
        assertThat(retries).as("in:%n%s", metrics.text()).isGreaterThanOrEqualTo(1.0);
        final Map<String, String> deadEndpoint = Map.of("cluster", "default", "endpoint", dead);
        final Map<String, String> liveEndpoint = Map.of("cluster", "default", "endpoint", live.endpoint());
        assertThat(metrics.value("portico_upstream_picks_total", liveEndpoint)).hasValue(20.0);
        assertThat(metrics.value("portico_upstream_picks_total", deadEndpoint)).hasValue(retries);
        assertThat(metrics.value("portico_upstream_calls_total", with(liveEndpoint, "code", "OK")))
                .hasValue(20.0);
        assertThat(metrics.value("portico_upstream_calls_total", with(deadEndpoint, "code", "UNAVAILABLE")))
                .hasValue(retries);
        assertThat(metrics.sum("portico_upstream_calls_total")).isEqualTo(20.0 + retries);
    }

    @Test
    void healthChecksStateChangesAndEjectionsAreCountedPerEndpoint() throws Exception {
        final TestBackend first = resources.keep(TestBackend.start("first", "127.0.0.1", 0));
        final TestBackend second = resources.keep(TestBackend.start("second", "127.0.0.1", 0));
        final PoolPortico portico = resources.keep(PoolPortico.start(
                "portico.upstream { endpoints = [\"" + first.endpoint() + "\", \"" + second.endpoint() + "\"]\n"
                + " health-check.interval = 200ms\n"
                + " outlier-detection { consecutive-failures = 3, base-ejection-time = 30s } }"));
        portico.awaitAllHealthy();
        final Map<String, String> firstEndpoint = Map.of("cluster", "default", "endpoint", first.endpoint());
        final Map<String, String> secondEndpoint = Map.of("cluster", "default", "endpoint", second.endpoint());

        PrometheusScrape metrics = PrometheusScrape.fetch(portico.server().adminPort());
        for (Map<String, String> endpoint : List.of(firstEndpoint, secondEndpoint)) {
            assertThat(metrics.value("portico_upstream_health_checks_total",
                                     with(endpoint, "result", "serving")).orElse(0))
                    .as("in:%n%s", metrics.text()).isGreaterThanOrEqualTo(1.0);
            assertThat(metrics.value("portico_upstream_endpoint_state_changes_total",
                                     with(endpoint, "state", "healthy"))).hasValue(1.0);
        }

        // Calls to the first keep failing: ejected after three in a row.
        first.failWith(Status.UNAVAILABLE.withDescription("overloaded"));
        for (int i = 0; i < 6; i++) {
            portico.call(ECHO);
        }
        assertThat(PoolPortico.eventually(Duration.ofSeconds(2),
                                          () -> portico.count(EndpointState.EJECTED) == 1)).isTrue();
        // The second says it no longer serves.
        second.setServing(false);
        final Map<String, String> secondUnhealthy = with(secondEndpoint, "state", "unhealthy");
        metrics = PrometheusScrape.await(portico.server().adminPort(), m -> m.value(
                "portico_upstream_endpoint_state_changes_total", secondUnhealthy).isPresent(),
                Duration.ofSeconds(10));

        assertThat(metrics.value("portico_upstream_ejections_total", firstEndpoint))
                .as("in:%n%s", metrics.text()).hasValue(1.0);
        assertThat(metrics.value("portico_upstream_ejections_total", secondEndpoint)).hasValue(0.0);
        assertThat(metrics.value("portico_upstream_endpoint_state_changes_total",
                                 with(firstEndpoint, "state", "ejected"))).hasValue(1.0);
        assertThat(metrics.value("portico_upstream_calls_total", with(firstEndpoint, "code", "UNAVAILABLE")))
                .hasValue(3.0);
        assertThat(metrics.value("portico_upstream_calls_total", with(secondEndpoint, "code", "OK")))
                .hasValue(3.0);
        assertThat(metrics.value("portico_upstream_health_checks_total", with(secondEndpoint, "result",
                                                                              "not_serving")).orElse(0))
                .isGreaterThanOrEqualTo(1.0);
        assertThat(metrics.value("portico_upstream_endpoint_state_changes_total", secondUnhealthy))
                .hasValue(1.0);
    }

    @Test
    void anEndpointThatLeavesTakesItsSeriesWithIt() throws Exception {
        final TestBackend staying = resources.keep(TestBackend.start("staying", "127.0.0.2", 0));
        final TestBackend leaving = resources.keep(TestBackend.start("leaving", "127.0.0.3", staying.port()));
        final Path hosts = dir.resolve("hosts");
        HostsFile.write(hosts, DNS_NAME, "127.0.0.2", "127.0.0.3");
        final PoolPortico portico = resources.keep(PoolPortico.start(
                "portico.upstream { endpoints = [\"" + DNS_NAME + ":" + staying.port() + "\"], "
                + "dns-refresh-interval = 500ms, health-check.interval = 200ms }\n",
                DnsEndpointResolver.withHostsFile(hosts)));
        portico.awaitAllHealthy();
        for (int i = 0; i < 6; i++) {
            assertThat(portico.call(ECHO).ok()).isTrue();
        }
        final String gone = DNS_NAME + "/127.0.0.3:" + leaving.port();
        final Predicate<PrometheusScrape.Sample> ofGone = s -> gone.equals(s.labels().get("endpoint"));
        final PrometheusScrape before = PrometheusScrape.fetch(portico.server().adminPort());
        // Round robin: each endpoint has some of the calls.
        final double goneCalls =
                before.value("portico_upstream_picks_total", Map.of("endpoint", gone)).orElse(0);
        assertThat(goneCalls).as("in:%n%s", before.text()).isGreaterThanOrEqualTo(1.0);
        assertThat(before.value("portico_upstream_calls_total", Map.of("endpoint", gone, "code", "OK")))
                .hasValue(goneCalls);
        final long goneSeries = seriesOf(before, ofGone);
        assertThat(goneSeries).as("picks, calls, health checks, state changes, ejections")
                .isGreaterThanOrEqualTo(5);

        HostsFile.write(hosts, DNS_NAME, "127.0.0.2");
        final PrometheusScrape after = PrometheusScrape.await(
                portico.server().adminPort(), m -> seriesOf(m, ofGone) == 0, Duration.ofSeconds(10));

        assertThat(seriesOf(after, ofGone)).as("series of %s in:%n%s", gone, after.text()).isZero();
        assertThat(after.value("portico_upstream_picks_total", Map.of("endpoint", DNS_NAME + "/127.0.0.2:"
                                                                                 + staying.port())))
                .hasValue(6.0 - goneCalls);
        assertThat(after.sum("portico_upstream_endpoints")).isEqualTo(1.0);
        assertThat(seriesOf(after, s -> s.labels().containsKey("endpoint")))
                .isEqualTo(seriesOf(before, s -> s.labels().containsKey("endpoint")) - goneSeries);
    }

    private static long seriesOf(PrometheusScrape metrics, Predicate<PrometheusScrape.Sample> which) {
        return metrics.samples().stream().filter(which).count();
    }

    private static Map<String, String> with(Map<String, String> labels, String name, String value) {
        final Map<String, String> all = new HashMap<>(labels);
        all.put(name, value);
        return all;
    }

}
