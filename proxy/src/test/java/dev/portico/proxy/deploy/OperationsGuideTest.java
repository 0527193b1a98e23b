package dev.portico.proxy.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.proxy.testing.DeployFiles;
import dev.portico.proxy.testing.MetricNames;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's Operations section: the queries and alerts it gives refer to series Portico exposes. */
class OperationsGuideTest {
    @Test
    void theQueriesAndAlertsOfTheOperationsSectionUseOnlyMetricsPorticoExposes() throws Exception {
        final String readme = DeployFiles.text("README.md");
        final int start = readme.indexOf("\n## Operations\n");
        assertThat(start).isPositive();
        final String section = readme.substring(start, readme.indexOf("\n## ", start + 1));

        final List<String> queries = new ArrayList<>();
        final int block = section.indexOf("```promql\n");
        assertThat(block).as("a promql block").isPositive();
        section.substring(block + "```promql\n".length(), section.indexOf("```", block + 3)).lines()
               .filter(line -> !line.startsWith("#")).forEach(queries::add);
        final int alerts = section.indexOf("**What to alert on.**");
        final List<String> rows = section.substring(alerts).lines()
                .dropWhile(l -> !l.startsWith("|---")).skip(1).takeWhile(l -> l.startsWith("| ")).toList();
        assertThat(rows).as("the alert table").hasSizeGreaterThan(5);
        for (String row : rows) {
            // | Alert | PromQL | Why |, with \| inside a cell for PromQL's own bars.
            queries.add(row.split("(?<!\\\\)\\|")[2].replace("\\|", "|"));
        }
        assertThat(queries).hasSizeGreaterThan(10);
        for (String query : queries) {
            assertThat(MetricNames.in(query)).as(query).allMatch(MetricNames::isExposed);
        }
        assertThat(String.join("\n", queries))
                .contains("histogram_quantile(0.99, sum by (method, le) "
                          + "(rate(portico_request_duration_seconds_bucket[5m])))");
    }
}
