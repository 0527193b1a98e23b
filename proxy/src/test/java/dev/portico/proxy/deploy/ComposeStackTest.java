package dev.portico.proxy.deploy;

import static dev.portico.proxy.testing.DeployFiles.at;
import static dev.portico.proxy.testing.DeployFiles.listAt;
import static dev.portico.proxy.testing.DeployFiles.map;
import static dev.portico.proxy.testing.DeployFiles.mapAt;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.portico.config.ClusterSettings;
import dev.portico.config.HostAndPort;
import dev.portico.config.PorticoSettings;
import dev.portico.proxy.demo.DemoBackend;
import dev.portico.proxy.testing.Commands;
import dev.portico.proxy.testing.DeployFiles;
import dev.portico.proxy.testing.MetricNames;
import dev.portico.proxy.testing.StandalonePortico;
import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml and the files under deploy/compose/, read as Compose, Prometheus, the OpenTelemetry
 * collector and Grafana read them, checked against each other and against Portico's configuration as
 * Portico's own loader reads it: the ports, names and paths that must agree for `docker compose up` to work.
 */
class ComposeStackTest {
    private static final String PORTICO_CONF = "deploy/compose/portico.conf";

    private static Map<String, Object> services;
    private static PorticoSettings portico;

    @BeforeAll
    static void read() throws Exception {
        services = mapAt(DeployFiles.yaml("docker-compose.yml"), "services");
        portico = DeployFiles.porticoConfig(PORTICO_CONF);
    }

    @Test
    void theAccessLogIsOn() {
        assertThat(portico.accessLog().enabled()).as("off by default, on where Portico is deployed").isTrue();
    }

    @Test
    void theStackIsPorticoTwoBackendsPrometheusGrafanaTheCollectorAndJaeger() {
        assertThat(services).containsOnlyKeys("portico", "backend-1", "backend-2", "prometheus", "grafana",
                                              "otel-collector", "jaeger");
    }

    @Test
    void everyImageIsBuiltFromThisRepositoryOrAPinnedPublicTag() {
        for (Map.Entry<String, Object> service : services.entrySet()) {
            final Map<String, Object> spec = map(service.getValue());
            final String image = (String) spec.get("image");
            if (spec.containsKey("build")) {
                assertThat(spec.get("build")).as(service.getKey()).isEqualTo(".");
                assertThat(image).as(service.getKey()).isEqualTo("portico:local");
            } else {
                assertThat(image).as("%s: a version tag, not latest", service.getKey())
                        .matches("[a-z0-9./-]+:v?[0-9]+(\\.[0-9]+)+");
            }
        }
    }

    @Test
    void porticoPublishesItsListenerDemoAppAndAdminPortsAndReadsTheConfigItIsGiven() {
        final Map<String, Object> spec = mapAt(services, "portico");
        final List<Integer> published = new ArrayList<>();
        for (Object port : listAt(spec, "ports")) {
            final String[] hostAndContainer = ((String) port).split(":");
            assertThat(hostAndContainer[0]).as("same port outside").isEqualTo(hostAndContainer[1]);
            published.add(Integer.parseInt(hostAndContainer[1]));
        }
        assertThat(published).containsExactlyInAnyOrder(portico.listen().port(), portico.demo().pagePort(),
                                                        portico.admin().port());
        assertThat(portico.listen().host()).isEqualTo("0.0.0.0");
        assertThat(portico.admin().host()).isEqualTo("0.0.0.0");

        final List<String> command = strings(at(spec, "command"));
        final String configPath = command.get(command.indexOf("--config") + 1);
        assertThat(mountedFrom(spec, configPath)).isEqualTo(PORTICO_CONF);
        assertThat(command).as("the demo app, calling the backends through Portico").contains("--demo-page");

        // Docker's SIGKILL comes after stop_grace_period: later than the drain (grace + 2 s to close).
        assertThat(duration(spec.get("stop_grace_period")))
                .isGreaterThan(portico.listen().shutdownGracePeriod().plusSeconds(2));
    }

    @Test
    void porticoBalancesOverBothBackendsAndHealthChecksThem() {
        final ClusterSettings cluster = portico.upstreamPool().defaultCluster();
        assertThat(portico.upstreamPool().clusters()).containsExactly(cluster);
        assertThat(cluster.healthCheck().enabled()).isTrue();
        assertThat(cluster.endpoints()).extracting(HostAndPort::host).containsExactly("backend-1", "backend-2");
        for (HostAndPort endpoint : cluster.endpoints()) {
            final List<String> command = strings(at(services, endpoint.host(), "command"));
            assertThat(command.get(0)).isEqualTo("demo-backend");
            assertThat(command.get(command.indexOf("--host") + 1)).as("reachable from Portico's container")
                    .isEqualTo("0.0.0.0");
            assertThat(command.get(command.indexOf("--port") + 1)).isEqualTo(Integer.toString(endpoint.port()));
            assertThat(strings(at(services, endpoint.host(), "healthcheck", "test")))
                    .as("the backend's health check probes its port")
                    .anyMatch(s -> s.contains("/" + endpoint.port()));
        }
        assertThat(strings(at(services, "portico", "depends_on"))).contains("backend-1", "backend-2");
    }

    @Test
    void theBackendsHealthCheckCommandPassesAgainstARunningBackendAndFailsWithout() throws Exception {
        final int composePort = portico.upstreamPool().defaultCluster().endpoints().get(0).port();
        final List<String> healthcheck = strings(at(services, "backend-1", "healthcheck", "test"));
        assertThat(healthcheck.get(0)).isEqualTo("CMD");
        final List<String> command = healthcheck.subList(1, healthcheck.size());
        try (DemoBackend backend = DemoBackend.start(0)) {
            assertThat(runOnPort(command, composePort, backend.port()).exitCode()).isZero();
        }
        assertThat(runOnPort(command, composePort, StandalonePortico.closedPort()).exitCode()).isNotZero();
    }

    @Test
    void prometheusScrapesPorticosAdminPort() throws Exception {
        final Map<String, Object> spec = mapAt(services, "prometheus");
        final String file = mountedFrom(spec, "/etc/prometheus/prometheus.yml");
        final Map<String, Object> job = map(listAt(DeployFiles.yaml(file), "scrape_configs").get(0));
        assertThat(at(job, "metrics_path")).isEqualTo("/metrics");
        assertThat(strings(at(map(listAt(job, "static_configs").get(0)), "targets")))
                .containsExactly("portico:" + portico.admin().port());
    }

    @Test
    void tracesGoFromPorticoThroughTheCollectorToJaeger() throws Exception {
        final Config raw = ConfigFactory.parseFile(DeployFiles.path(PORTICO_CONF).toFile());
        assertThat(raw.getBoolean("portico.tracing.enabled")).isTrue();
        final URI endpoint = URI.create(raw.getString("portico.tracing.endpoint"));

        final Map<String, Object> collector = mapAt(services, "otel-collector");
        assertThat(endpoint.getHost()).isEqualTo("otel-collector");
        final String configArgument = strings(at(collector, "command")).get(0);
        assertThat(configArgument).startsWith("--config=");
        final Map<String, Object> config =
                DeployFiles.yaml(mountedFrom(collector, configArgument.substring("--config=".length())));
        final String receiver = (String) at(config, "receivers", "otlp", "protocols", "grpc", "endpoint");
        assertThat(receiver).isEqualTo("0.0.0.0:" + endpoint.getPort());

        final Map<String, Object> pipeline = mapAt(config, "service", "pipelines", "traces");
        assertThat(strings(at(pipeline, "receivers"))).containsExactly("otlp");
        final List<String> exporters = strings(at(pipeline, "exporters"));
        assertThat(exporters).hasSize(1);
        // Jaeger takes OTLP gRPC on 4317 (COLLECTOR_OTLP_ENABLED).
        assertThat(at(config, "exporters", exporters.get(0), "endpoint")).isEqualTo("jaeger:4317");
        assertThat(at(services, "jaeger", "environment", "COLLECTOR_OTLP_ENABLED")).isEqualTo("true");
        assertThat(strings(at(collector, "depends_on"))).contains("jaeger");
        assertThat(strings(at(services, "portico", "depends_on"))).contains("otel-collector");
    }

    @Test
    void grafanaHasThePrometheusDatasourceAndThePorticoDashboardProvisioned() throws Exception {
        final Map<String, Object> grafana = mapAt(services, "grafana");
        final String provisioning = mountedFrom(grafana, "/etc/grafana/provisioning");
        final Map<String, Object> datasource = map(listAt(
                DeployFiles.yaml(provisioning + "/datasources/prometheus.yml"), "datasources").get(0));
        assertThat(datasource.get("type")).isEqualTo("prometheus");
        final String prometheusPort = strings(at(services, "prometheus", "ports")).get(0).split(":")[1];
        assertThat(datasource.get("url")).as("Prometheus' port inside the network")
                .isEqualTo("http://prometheus:" + prometheusPort);

        final Map<String, Object> provider = map(listAt(
                DeployFiles.yaml(provisioning + "/dashboards/portico.yml"), "providers").get(0));
        final String dashboards = mountedFrom(grafana, (String) at(provider, "options", "path"));
        final JsonObject dashboard = dashboard(dashboards + "/portico.json");
        for (JsonElement panel : dashboard.getAsJsonArray("panels")) {
            for (JsonElement target : panel.getAsJsonObject().getAsJsonArray("targets")) {
                assertThat(target.getAsJsonObject().getAsJsonObject("datasource").get("uid").getAsString())
                        .isEqualTo(datasource.get("uid"));
            }
        }
        assertThat(at(grafana, "environment", "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"))
                .isEqualTo(at(provider, "options", "path") + "/portico.json");
    }

    @Test
    void theDashboardShowsCallRateErrorRatioLatencyQuantilesByMethodAndEndpointsByState() throws Exception {
        final List<String> queries = queries(dashboard("deploy/compose/grafana/dashboards/portico.json"));
        assertThat(queries).as("calls per second")
                .anyMatch(q -> q.matches("sum by \\(protocol\\) \\(rate\\(portico_requests_total\\[.+"));
        assertThat(queries).as("error ratio").anyMatch(
                q -> q.matches("sum\\(rate\\(portico_requests_total\\{code.+\\}\\[.+\\]\\)\\) / "
                               + "sum\\(rate\\(portico_requests_total\\[.+\\]\\)\\)"));
        for (String quantile : List.of("0.5", "0.99")) {
            assertThat(queries).as("p%s by method", quantile).contains(
                    "histogram_quantile(" + quantile + ", sum by (method, le) "
                    + "(rate(portico_request_duration_seconds_bucket[$__rate_interval])))");
        }
        assertThat(queries).contains("sum by (cluster, state) (portico_upstream_endpoints)");
    }

    @Test
    void theDashboardQueriesOnlyMetricsPorticoExposes() throws Exception {
        for (String query : queries(dashboard("deploy/compose/grafana/dashboards/portico.json"))) {
            assertThat(MetricNames.in(query)).as(query).isNotEmpty().allMatch(MetricNames::isExposed);
        }
    }

    @Test
    void everyFileTheStackMountsIsInTheRepository() {
        for (Map.Entry<String, Object> service : services.entrySet()) {
            final Object volumes = map(service.getValue()).get("volumes");
            for (String volume : volumes == null ? List.<String>of() : strings(volumes)) {
                final String source = volume.split(":")[0];
                assertThat(source).as(service.getKey()).startsWith("./");
                assertThat(Files.exists(DeployFiles.path(source.substring(2)))).as(volume).isTrue();
                assertThat(volume).as("read-only").endsWith(":ro");
            }
        }
    }

    /** The repository path of the file or directory that {@code service} mounts at {@code target}. */
    private static String mountedFrom(Map<String, Object> service, String target) {
        for (String volume : strings(at(service, "volumes"))) {
            final String[] parts = volume.split(":");
            if (parts[1].equals(target)) {
                assertThat(parts[0]).startsWith("./");
                return parts[0].substring(2);
            }
        }
        throw new AssertionError("nothing mounted at " + target + " in " + service.get("volumes"));
    }

    private static List<String> strings(Object node) {
        return DeployFiles.list(node).stream().map(String.class::cast).toList();
    }

    /** A Compose duration such as {@code 20s} or {@code 1m30s}. */
    private static Duration duration(Object value) {
        final Matcher m = Pattern.compile("([0-9]+)(ms|s|m)").matcher((String) value);
        Duration total = Duration.ZERO;
        int end = 0;
        while (m.find()) {
            assertThat(m.start()).isEqualTo(end);
            end = m.end();
            final long n = Long.parseLong(m.group(1));
            total = total.plus(switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                default -> Duration.ofMinutes(n);
            });
        }
        assertThat(end).as("a duration: %s", value).isEqualTo(((String) value).length()).isPositive();
        return total;
    }

    private static Commands.Result runOnPort(List<String> command, int composePort, int port) throws Exception {
        final String from = Integer.toString(composePort);
        final List<String> onPort = command.stream().map(s -> s.replace(from, Integer.toString(port))).toList();
        return Commands.run(onPort, Map.of(), Duration.ofSeconds(20));
    }

    private static JsonObject dashboard(String relative) throws Exception {
        return JsonParser.parseString(DeployFiles.text(relative)).getAsJsonObject();
    }

    private static List<String> queries(JsonObject dashboard) {
        final List<String> queries = new ArrayList<>();
        for (JsonElement panel : dashboard.getAsJsonArray("panels")) {
            for (JsonElement target : panel.getAsJsonObject().getAsJsonArray("targets")) {
                final JsonElement expr = target.getAsJsonObject().get("expr");
                assertThat(expr).as("a Prometheus query").isNotNull();
                queries.add(expr.getAsString());
            }
        }
        assertThat(queries).isNotEmpty();
        return queries;
    }
}
