package dev.portico.proxy.testing;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The series names Portico's {@code /metrics} exposes that dashboards, alerts and the README's PromQL may
 * use (README "Operations"), and the names a PromQL expression refers to.
 */
public final class MetricNames {
    /** Counters and gauges, as scraped. */
    private static final Set<String> SERIES = Set.of(
            "portico_requests_total", "portico_request_bytes_total", "portico_response_bytes_total",
            "portico_request_messages_total", "portico_response_messages_total", "portico_calls_active",
            "portico_calls_shed_total", "portico_connections_open", "portico_connections_accepted_total",
            "portico_upstream_endpoints", "portico_upstream_picks_total", "portico_upstream_calls_total",
            "portico_upstream_health_checks_total", "portico_upstream_ejections_total",
            "portico_upstream_retries_total", "portico_schema_lookups_total", "portico_timeouts_total",
            "portico_build_info", "process_cpu_usage", "jvm_threads_live_threads", "process_files_open_files");
    /** Histograms (_bucket, _count, _sum) and Micrometer timers without buckets (_count, _sum, _max). */
    private static final Set<String> HISTOGRAMS = Set.of(
            "portico_request_duration_seconds", "portico_response_first_byte_seconds");
    private static final Set<String> TIMERS = Set.of("jvm_gc_pause_seconds");

    private static final Pattern NAME = Pattern.compile("\\b(?:portico|jvm|process)_[a-z0-9_]+\\b");

    private MetricNames() {}

    /** Whether {@code name} is a series Portico exposes. */
    public static boolean isExposed(String name) {
        if (SERIES.contains(name)) {
            return true;
        }
        for (String histogram : HISTOGRAMS) {
            if (Set.of(histogram + "_bucket", histogram + "_count", histogram + "_sum").contains(name)) {
                return true;
            }
        }
        for (String timer : TIMERS) {
            if (Set.of(timer + "_count", timer + "_sum", timer + "_max").contains(name)) {
                return true;
            }
        }
        return false;
    }

    /** The Portico, JVM and process series names {@code promql} refers to. */
    public static Set<String> in(String promql) {
        final Set<String> names = new LinkedHashSet<>();
        final Matcher m = NAME.matcher(promql);
        while (m.find()) {
            names.add(m.group());
        }
        return names;
    }
}
