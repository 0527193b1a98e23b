package dev.portico.loadtest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Writes a run's results: results.md (the tables), chart.svg (drawn here from the same numbers) and
 * samples.tsv (every repetition, for anyone who wants to plot differently). Medians over the repetitions
 * that passed their checks, with [min–max] when there was more than one; a point none of whose
 * repetitions passed shows FAILED and its reason, never a number.
 */
final class Report {
    private static final double MIB = 1024;

    private Report() {}

    /** One variant of one scenario: its repetitions. */
    record Point(Scenario scenario, Variant variant, List<Sample> all) {
        List<Sample> ok() {
            return all.stream().filter(Sample::ok).toList();
        }

        boolean failed() {
            return ok().isEmpty();
        }

        String failure() {
            return all.stream().filter(s -> !s.ok()).map(s -> s.failure).findFirst().orElse("");
        }

        double median(ToDoubleFunction<Sample> f) {
            return Report.median(values(f));
        }

        double min(ToDoubleFunction<Sample> f) {
            return Arrays.stream(values(f)).min().orElse(Double.NaN);
        }

        double max(ToDoubleFunction<Sample> f) {
            return Arrays.stream(values(f)).max().orElse(Double.NaN);
        }

        /** Median over this variant's runs of f(run) / f(its direct baseline run). */
        double pairedRatio(ToDoubleFunction<Sample> f) {
            return Report.median(ok().stream().filter(s -> s.baseline != null && s.baseline.ok())
                                         .mapToDouble(s -> f.applyAsDouble(s) / f.applyAsDouble(s.baseline)).toArray());
        }

        /** Median over this variant's runs of f(run) - f(its direct baseline run). */
        double pairedDifference(ToDoubleFunction<Sample> f) {
            return Report.median(ok().stream().filter(s -> s.baseline != null && s.baseline.ok())
                                         .mapToDouble(s -> f.applyAsDouble(s) - f.applyAsDouble(s.baseline)).toArray());
        }

        double[] values(ToDoubleFunction<Sample> f) {
            return ok().stream().mapToDouble(f).filter(v -> !Double.isNaN(v) && v >= 0).toArray();
        }
    }

    static String write(Options o, List<String> conditions, List<Sample> samples, List<String> probes,
                        List<String> remeasured, List<Startup> startups) throws IOException {
        final Map<String, Point> points = new LinkedHashMap<>();
        for (Sample s : samples) {
            points.computeIfAbsent(s.scenario.id() + "/" + s.variant.id,
                                   k -> new Point(s.scenario, s.variant, new ArrayList<>())).all.add(s);
        }
        final String md = markdown(o, conditions, points, probes, samples, remeasured, startups);
        Files.writeString(o.results().resolve("results.md"), md);
        Files.writeString(o.results().resolve("chart.svg"), Chart.svg(o, points));
        Files.writeString(o.results().resolve("samples.tsv"), tsv(samples));
        return md;
    }

    // ---------------------------------------------------------------- markdown

    private static String markdown(Options o, List<String> conditions, Map<String, Point> points,
                                   List<String> probes, List<Sample> samples, List<String> remeasured,
                                   List<Startup> startups) {
        final StringBuilder md = new StringBuilder();
        md.append("# Portico load test: ").append(o.results().getFileName()).append(o.quick() ? " (--quick)" : "")
          .append("\n\n");
        if (o.quick()) {
            md.append("> **Quick mode**: one short repetition per point and a scaled-down open-streams count. "
                      + "It proves the kit end to end; its numbers are indicative only.\n\n");
        }
        md.append("![chart](chart.svg)\n\n## Conditions\n\n");
        conditions.forEach(c -> md.append("- ").append(c).append('\n'));
        md.append("\nEvery point: a first call checked for a real success (HTTP 200, the expected messages, "
                  + "`grpc-status: 0` in the trailers), a warm-up, then the measured runs, each checked against the "
                  + "backend's own count of calls it closed OK. Values are medians of the runs that passed"
                  + (o.repeats() > 1 ? ", [min–max] over them" : "") + ". Portico CPU is its user+system time "
                  + "over the run as a share of one core (the core it shares with the backend).\n\n"
                  + "Pairing: each Portico run is measured right after a direct-gRPC run of the same scenario, and "
                  + "'× direct' and 'added p50' are medians of those per-pair ratios and differences, so slow "
                  + "drifts in the machine's load cancel out. The direct rows pool every baseline run of the "
                  + "scenario.\n\n"
                  + "Peak RSS: each Portico variant runs in a fresh Portico (bin/portico), warmed up at "
                  + "concurrency 50, then taken through the scenarios in table order (concurrency 1, concurrency "
                  + "50, streaming); the RSS column is that process's VmHWM at the end of the scenario, i.e. its "
                  + "peak so far. The open-streams scenario has a fresh Portico of its own.\n");

        for (Scenario scenario : scenarios(points)) {
            final Point direct = points.get(scenario.id() + "/" + Variant.DIRECT.id);
            md.append("\n## ").append(scenario.title()).append("\n\n");
            switch (scenario.kind()) {
                case LATENCY -> latencyTable(md, points, scenario, direct);
                case THROUGHPUT -> throughputTable(md, points, scenario, direct);
                case STREAMING -> streamingTable(md, points, scenario, direct);
                case OPEN_STREAMS -> openStreamsTable(md, points, scenario);
            }
        }
        startup(md, o, points, startups);
        targets(md, o, points, startups);
        noise(md, points);
        md.append("\n## Checks\n\n");
        probes.forEach(p -> md.append("- first call ").append(p).append('\n'));
        final long passed = samples.stream().filter(Sample::ok).count();
        md.append("- measured runs whose counts matched the backend's: ").append(passed).append(" of ")
          .append(samples.size()).append('\n');
        remeasured.forEach(r -> md.append("- noisy pair ").append(r)
                                  .append(" (the quietest of the attempts is the one reported)\n"));
        for (Sample s : samples) {
            if (!s.ok()) {
                md.append("- **FAILED** ").append(s.scenario.id()).append(" / ").append(s.variant.id)
                  .append(" run ").append(s.rep).append(": ").append(s.failure).append('\n');
            }
        }
        md.append("\nRaw numbers for every run: `samples.tsv`; tool output and server logs: `logs/`.\n");
        return md.toString();
    }

    private static List<Scenario> scenarios(Map<String, Point> points) {
        final List<Scenario> out = new ArrayList<>();
        for (Point p : points.values()) {
            if (out.stream().noneMatch(s -> s.id().equals(p.scenario.id()))) {
                out.add(p.scenario);
            }
        }
        return out;
    }

    private static List<Point> rows(Map<String, Point> points, Scenario scenario) {
        return points.values().stream().filter(p -> p.scenario.id().equals(scenario.id())).toList();
    }

    /**
     * One scenario's table: a Variant column, then {@code columns} filled by {@code cells}. A point whose runs
     * all failed shows FAILED and its reason, never a number.
     */
    private static void table(StringBuilder md, Map<String, Point> points, Scenario scenario,
                              List<String> columns, Function<Point, List<String>> cells) {
        md.append("| Variant | ").append(String.join(" | ", columns)).append(" |\n")
          .append("|---|").append("--:|".repeat(columns.size())).append('\n');
        for (Point p : rows(points, scenario)) {
            md.append("| ").append(p.variant.label()).append(" | ");
            if (p.failed()) {
                md.append("**FAILED**: ").append(p.failure()).append(" |".repeat(columns.size())).append('\n');
            } else {
                md.append(String.join(" | ", cells.apply(p))).append(" |\n");
            }
        }
    }

    private static void latencyTable(StringBuilder md, Map<String, Point> points, Scenario scenario, Point direct) {
        table(md, points, scenario,
              List.of("p50 µs", "p99 µs", "added p50 vs direct", "calls/s", "Portico CPU", "Portico peak RSS"),
              p -> List.of(range(p, s -> s.p50us, "%,.0f"),
                           range(p, s -> s.p99us, "%,.0f"),
                           p.variant.direct() ? "–" : fmt("%+,.0f µs", p.pairedDifference(s -> s.p50us)),
                           range(p, s -> s.callsPerSecond, "%,.0f"),
                           porticoCpu(p),
                           peakRss(p)));
    }

    private static void throughputTable(StringBuilder md, Map<String, Point> points, Scenario scenario,
                                        Point direct) {
        table(md, points, scenario,
              List.of("calls/s", "× direct", "p50 µs", "p99 µs", "Portico CPU", "Portico CPU µs/call",
                      "backend CPU µs/call", "Portico context switches/call", "Portico peak RSS"),
              p -> List.of(range(p, s -> s.callsPerSecond, "%,.0f"),
                           ratio(p, direct, s -> s.callsPerSecond),
                           range(p, s -> s.p50us, "%,.0f"),
                           range(p, s -> s.p99us, "%,.0f"),
                           porticoCpu(p),
                           p.variant.direct() ? "–" : fmt("%,.1f", p.median(Sample::porticoCpuMicrosPerCall)),
                           fmt("%,.1f", p.median(Sample::backendCpuMicrosPerCall)),
                           switches(p),
                           peakRss(p)));
    }

    private static void streamingTable(StringBuilder md, Map<String, Point> points, Scenario scenario,
                                       Point direct) {
        table(md, points, scenario,
              List.of("payload MB/s", "× direct", "calls/s", "Portico CPU", "Portico CPU µs/MB",
                      "Portico context switches/message", "Portico peak RSS"),
              p -> List.of(range(p, s -> s.payloadMBps, "%,.1f"),
                           ratio(p, direct, s -> s.payloadMBps),
                           range(p, s -> s.callsPerSecond, "%,.1f"),
                           porticoCpu(p),
                           p.variant.direct() ? "–" : fmt("%,.0f",
                                   p.median(s -> s.porticoCpuSeconds * 1e6 / (s.payloadMBps * s.seconds))),
                           switches(p),
                           peakRss(p)));
        md.append("\nMB = 10^6 bytes of message payload (1000 messages × 1024 bytes per call), whatever the "
                  + "framing: text mode sends 4/3 as many bytes on the wire.\n");
    }

    private static void openStreamsTable(StringBuilder md, Map<String, Point> points, Scenario scenario) {
        table(md, points, scenario,
              List.of("streams open", "time to open all", "Portico RSS idle → all open", "Portico KiB per stream",
                      "Portico peak RSS", "backend RSS all open"),
              p -> List.of(fmt("%,.0f", p.median(s -> s.openStreams)),
                           range(p, s -> s.openSeconds, "%.1f") + " s",
                           p.variant.direct() ? "–" : fmt("%,.0f", p.median(s -> s.porticoIdleRssKiB) / MIB)
                                   + " → " + range(p, s -> s.porticoRssKiB / MIB, "%,.0f") + " MiB",
                           p.variant.direct() ? "–" : fmt("%,.1f", p.median(
                                   s -> (s.porticoRssKiB - s.porticoIdleRssKiB) / (double) s.openStreams)),
                           p.variant.direct() ? "–" : peakRss(p),
                           range(p, s -> s.backendRssKiB / MIB, "%,.0f") + " MiB"));
        md.append("\nEach stream has sent one 64-byte message and is held open by the backend until every stream "
                  + "is open; h2load opens them over connections of 500 streams each. 'Idle' is the RSS of that "
                  + "fresh Portico before the streams were opened.\n");
    }

    /** The paired Portico variants' start-up: launch to listening and to ready, and the climb to steady. */
    private static void startup(StringBuilder md, Options o, Map<String, Point> points,
                                List<Startup> startups) {
        if (startups.isEmpty()) {
            return;
        }
        md.append("\n## Start-up\n\nEach Portico variant's fresh process, timed from launching bin/portico (so "
                  + "including the shell launcher and the JVM's boot) until its front port accepted a TCP "
                  + "connection and until its admin /readyz answered 200 (polled every 10 ms), ")
          .append(o.cdsUsed() ? "with the class-data-sharing archive of bin/portico-cds-archive mapped"
                              : "without a class-data-sharing archive (none beside the jar: run.sh --no-cds)")
          .append(". The load starts right after the first-call checks: the JIT warm-up, unary at "
                  + "concurrency 50 in ").append(Startup.CHUNK_SECONDS).append(" s chunks. Steady is the median "
                  + "calls/s of the variant's measured unary-c50 runs.\n\n"
                  + "| Variant | listening ms | ready ms | first "
                  + Startup.CHUNK_SECONDS + " s chunk, % of steady | seconds of load to 90% of steady |\n"
                  + "|---|--:|--:|--:|--:|\n");
        for (Startup s : startups) {
            final double steady = steadyRate(points, s.variant());
            md.append("| ").append(s.variant().label()).append(" | ").append(fmt("%,.0f", s.listeningMillis()))
              .append(" | ").append(fmt("%,.0f", s.readyMillis())).append(" | ")
              .append(Double.isNaN(steady) ? "not measured" : fmt("%.0f%%", 100 * s.firstChunkShare(steady)))
              .append(" | ").append(Double.isNaN(steady) ? "not measured" : secondsToSteady(s, steady))
              .append(" |\n");
        }
    }

    /** The median calls/s of the variant's measured unary-c50 runs; NaN when none passed. */
    private static double steadyRate(Map<String, Point> points, Variant variant) {
        final Point p = points.get("unary-c50/" + variant.id);
        return measured(p) ? p.median(s -> s.callsPerSecond) : Double.NaN;
    }

    /** "N s" of load until the first chunk at 90% of steady, or "> N s" when no chunk got there. */
    private static String secondsToSteady(Startup s, double steady) {
        final var seconds = s.secondsOfLoadToReach(0.9 * steady);
        return seconds.isPresent() ? seconds.getAsInt() + " s" : "> " + s.loadSeconds() + " s";
    }

    private static void targets(StringBuilder md, Options o, Map<String, Point> points,
                                List<Startup> startups) {
        md.append("\n## Against the targets of issue 13\n\n| Target | Measured | |\n|---|---|---|\n");
        final Point d50 = points.get("unary-c50/" + Variant.DIRECT.id);
        ratioTarget(md, "gRPC-Web unary over h2c at concurrency 50: ≥ 0.30× direct",
                    points.get("unary-c50/" + Variant.WEB_H2C.id), d50, s -> s.callsPerSecond, 0.30);
        ratioTarget(md, "gRPC-Web unary over HTTP/1.1 keep-alive at concurrency 50: ≥ 0.28× direct",
                    points.get("unary-c50/" + Variant.WEB_HTTP1.id), d50, s -> s.callsPerSecond, 0.28);
        ratioTarget(md, "gRPC-Web unary over h2 (TLS) at concurrency 50: ≥ 0.27× direct",
                    points.get("unary-c50/" + Variant.WEB_TLS.id), d50, s -> s.callsPerSecond, 0.27);
        connectProtoTarget(md, points.get("unary-c50/" + Variant.CONNECT_PROTO_H2C.id),
                           points.get("unary-c50/" + Variant.WEB_H2C.id));
        ratioTarget(md, "Connect JSON unary over h2c at concurrency 50: ≥ 0.22× direct",
                    points.get("unary-c50/" + Variant.CONNECT_JSON_H2C.id), d50, s -> s.callsPerSecond, 0.22);
        final Point d1 = points.get("unary-c1/" + Variant.DIRECT.id);
        latencyTarget(md, Variant.WEB_HTTP1, points.get("unary-c1/" + Variant.WEB_HTTP1.id), d1, 1.6);
        latencyTarget(md, Variant.WEB_H2C, points.get("unary-c1/" + Variant.WEB_H2C.id), d1, 1.6);
        latencyTarget(md, Variant.WEB_TLS, points.get("unary-c1/" + Variant.WEB_TLS.id), d1, 1.8);
        streamingTarget(md, points, Variant.WEB_H2C, 0.5);
        streamingTarget(md, points, Variant.WEB_HTTP1, 0.5);
        streamingTarget(md, points, Variant.WEB_TLS, 0.4);
        streamingTarget(md, points, Variant.TEXT_H2C, 0.35);
        final Point h2c50 = points.get("unary-c50/" + Variant.WEB_H2C.id);
        final String cpuTarget = "Portico CPU per unary call at concurrency 50 (gRPC-Web, h2c): ≤ 15 µs";
        final double cpu = measured(h2c50) ? h2c50.median(Sample::porticoCpuMicrosPerCall) : Double.NaN;
        if (Double.isNaN(cpu)) {
            notMeasured(md, cpuTarget);
        } else {
            targetRow(md, cpuTarget, fmt("%,.1f µs", cpu), cpu <= 15);
        }
        double peak = -1;
        String where = "";
        for (Point p : points.values()) {
            if (p.scenario.kind() != Scenario.Kind.OPEN_STREAMS && !p.variant.direct() && !p.failed()) {
                final double v = p.max(s -> s.porticoPeakRssKiB) / MIB;
                if (v > peak) {
                    peak = v;
                    where = p.scenario.id() + " / " + p.variant.id;
                }
            }
        }
        final String rssTarget = "Peak RSS under the unary and streaming loads, JVM settings of bin/portico: "
                                 + "≤ 200 MiB";
        if (peak < 0) {
            notMeasured(md, rssTarget);
        } else {
            targetRow(md, rssTarget, fmt("%,.0f MiB", peak) + " (highest: " + where + ")", peak <= 200);
        }
        final Point open = points.get("open-streams/" + Variant.WEB_H2C.id);
        md.append("| 10,000 open streams: ≤ 300 MiB | ");
        if (!measured(open)) {
            md.append("not measured | |\n");
        } else {
            final double rss = open.max(s -> s.porticoPeakRssKiB) / MIB;
            md.append(fmt("%,.0f MiB peak with ", rss)).append(o.openStreams()).append(" open | ")
              .append(o.openStreams() != 10_000 ? "n/a (scaled down)" : rss <= 300 ? "met" : "**not met**")
              .append(" |\n");
        }
        startupTargets(md, points, startups);
        md.append("\nThe targets were set for the median of 3 runs on a quiet machine; a quick run or a busy "
                  + "machine (see the next table) only indicates where Portico stands.\n");
    }

    private static boolean measured(Point p) {
        return p != null && !p.failed();
    }

    private static void targetRow(StringBuilder md, String target, String measured, boolean met) {
        md.append("| ").append(target).append(" | ").append(measured).append(" | ")
          .append(met ? "met" : "**not met**").append(" |\n");
    }

    private static void notMeasured(StringBuilder md, String target) {
        md.append("| ").append(target).append(" | not measured | |\n");
    }

    private static void ratioTarget(StringBuilder md, String target, Point p, Point direct,
                                    ToDoubleFunction<Sample> f, double min) {
        if (!measured(p) || !measured(direct)) {
            notMeasured(md, target);
            return;
        }
        final double r = p.pairedRatio(f);
        targetRow(md, target, fmt("%.2f×", r) + " (" + fmt("%,.1f", p.median(f)) + " vs "
                              + fmt("%,.1f", direct.median(f)) + ")", r >= min);
    }

    private static void streamingTarget(StringBuilder md, Map<String, Point> points, Variant v, double min) {
        ratioTarget(md, "Server streaming 1000 × 1 KiB MB/s (" + v.label() + "): ≥ " + min + "× direct",
                    points.get("stream-1000x1k/" + v.id), points.get("stream-1000x1k/" + Variant.DIRECT.id),
                    s -> s.payloadMBps, min);
    }

    /** Connect proto against gRPC-Web, both over h2c: a ratio of the two variants' medians (not paired). */
    private static void connectProtoTarget(StringBuilder md, Point connect, Point web) {
        final String target = "Connect proto unary over h2c at concurrency 50: within 5% of gRPC-Web over h2c "
                              + "(≥ 0.95× its calls/s)";
        if (!measured(connect) || !measured(web)) {
            notMeasured(md, target);
            return;
        }
        final double c = connect.median(s -> s.callsPerSecond);
        final double w = web.median(s -> s.callsPerSecond);
        targetRow(md, target, fmt("%.2f×", c / w) + " (" + fmt("%,.0f", c) + " vs " + fmt("%,.0f", w)
                              + " calls/s)", c / w >= 0.95);
    }

    /** Portico's p50 over direct gRPC's at concurrency 1, paired like × direct, with the added µs beside it. */
    private static void latencyTarget(StringBuilder md, Variant v, Point p, Point direct, double max) {
        final String target = "p50 latency at concurrency 1 (" + v.label() + "): ≤ " + max + "× direct";
        if (!measured(p) || !measured(direct)) {
            notMeasured(md, target);
            return;
        }
        final double r = p.pairedRatio(s -> s.p50us);
        targetRow(md, target, fmt("%.2f×", r) + " (" + fmt("%+,.0f µs", p.pairedDifference(s -> s.p50us))
                              + "; p50 " + fmt("%,.0f", p.median(s -> s.p50us)) + " vs "
                              + fmt("%,.0f", direct.median(s -> s.p50us)) + " µs)", r <= max);
    }

    /** The start-up targets, on the gRPC-Web h2c variant's process. */
    private static void startupTargets(StringBuilder md, Map<String, Point> points, List<Startup> startups) {
        final String ready = "Start-up (gRPC-Web, h2c process): listening and ready ≤ 1 s after launch";
        final String climb = "Start-up (gRPC-Web, h2c process): ≥ 90% of steady-state throughput within 15 s "
                             + "of load";
        final Startup s = startups.stream().filter(x -> x.variant() == Variant.WEB_H2C).findFirst()
                .orElse(null);
        if (s == null) {
            notMeasured(md, ready);
            notMeasured(md, climb);
            return;
        }
        targetRow(md, ready, fmt("listening after %,.0f ms", s.listeningMillis())
                             + fmt(", ready after %,.0f ms", s.readyMillis()),
                  s.listeningMillis() <= 1000 && s.readyMillis() <= 1000);
        final double steady = steadyRate(points, Variant.WEB_H2C);
        if (Double.isNaN(steady)) {
            notMeasured(md, climb);
            return;
        }
        final var seconds = s.secondsOfLoadToReach(0.9 * steady);
        targetRow(md, climb, secondsToSteady(s, steady) + " (steady " + fmt("%,.0f", steady) + " calls/s)",
                  seconds.isPresent() && seconds.getAsInt() <= 15);
    }

    private static void noise(StringBuilder md, Map<String, Point> points) {
        md.append("\n## Noise\n\nThe machine is shared: this is how busy each core was during the measured runs "
                  + "with processes that were not ours (server CPU; interrupt time left out) or at all (load CPU: "
                  + "the tool itself plus anyone else). A pair of runs during which other work took more than "
                  + "the noise limit of the server CPU is measured again (see Checks). A load tool at 100% of its "
                  + "core means the number is the tool's limit, not Portico's. The JIT column is the share of the "
                  + "server CPU that the backend's and Portico's JIT compilers took (warm-up waits for them to go "
                  + "quiet, so it should be near 0)."
                  + "\n\n| Scenario / variant | other load on the server CPU | load CPU busy | JIT |\n|---|--:|--:|--:|\n");
        for (Point p : points.values()) {
            if (p.failed()) {
                continue;
            }
            md.append("| ").append(p.scenario.id()).append(" / ").append(p.variant.id).append(" | ")
              .append(range(p, s -> 100 * s.otherOnServerCore, "%.0f%%")).append(" | ")
              .append(range(p, s -> 100 * s.loadCoreBusy, "%.0f%%")).append(" | ")
              .append(range(p, s -> 100 * s.compilerSeconds / s.seconds, "%.1f%%")).append(" |\n");
        }
    }

    private static String porticoCpu(Point p) {
        return p.variant.direct() ? "–" : range(p, s -> 100 * s.porticoCpuShare(), "%.0f%%");
    }

    private static String switches(Point p) {
        return p.variant.direct() ? "–" : range(p, Sample::porticoSwitchesPerMessage, "%.2f");
    }

    private static String peakRss(Point p) {
        return p.variant.direct() ? "–" : fmt("%,.0f MiB", p.max(s -> s.porticoPeakRssKiB) / MIB);
    }

    private static String ratio(Point p, Point direct, ToDoubleFunction<Sample> f) {
        if (p.variant.direct()) {
            return "1";
        }
        final double r = p.pairedRatio(f);
        return Double.isNaN(r) ? "?" : fmt("%.2f×", r);
    }

    /** "median" or "median [min–max]". */
    private static String range(Point p, ToDoubleFunction<Sample> f, String format) {
        final double[] v = p.values(f);
        if (v.length == 0) {
            return "–";
        }
        if (v.length == 1) {
            return fmt(format, v[0]);
        }
        return fmt(format, median(v)) + " [" + fmt(format, p.min(f)) + "–" + fmt(format, p.max(f)) + "]";
    }

    static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        final double[] sorted = values.clone();
        Arrays.sort(sorted);
        final int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    static String fmt(String format, double value) {
        return String.format(Locale.ROOT, format, value);
    }

    // ---------------------------------------------------------------- tsv

    private static String tsv(List<Sample> samples) {
        final StringBuilder out = new StringBuilder(
                "scenario\tvariant\trep\tok\tcalls\tseconds\tcalls_per_s\tpayload_MBps\tp50_us\tp99_us"
                + "\tportico_cpu_s\tportico_cpu_share\tportico_ctx_switches\tportico_threads\tbackend_cpu_s\tportico_idle_rss_kib\tportico_rss_kib"
                + "\tportico_peak_rss_kib\tbackend_rss_kib\tother_on_server_cpu\tload_cpu_busy\tjit_cpu_s\topen_streams"
                + "\topen_seconds\tchecks_or_failure\n");
        for (Sample s : samples) {
            out.append(String.join("\t", s.scenario.id(), s.variant.id, String.valueOf(s.rep),
                                   String.valueOf(s.ok()), String.valueOf(s.calls), fmt("%.3f", s.seconds),
                                   fmt("%.1f", s.callsPerSecond), fmt("%.2f", s.payloadMBps),
                                   String.valueOf(s.p50us), String.valueOf(s.p99us),
                                   fmt("%.2f", s.porticoCpuSeconds), fmt("%.3f", s.porticoCpuShare()),
                                   String.valueOf(s.porticoContextSwitches), String.valueOf(s.porticoThreads),
                                   fmt("%.2f", s.backendCpuSeconds), String.valueOf(s.porticoIdleRssKiB),
                                   String.valueOf(s.porticoRssKiB), String.valueOf(s.porticoPeakRssKiB),
                                   String.valueOf(s.backendRssKiB), fmt("%.3f", s.otherOnServerCore),
                                   fmt("%.3f", s.loadCoreBusy), fmt("%.2f", s.compilerSeconds),
                                   String.valueOf(s.openStreams),
                                   fmt("%.2f", s.openSeconds),
                                   (s.ok() ? s.checks : "FAILED: " + s.failure).replace('\t', ' ')))
               .append('\n');
        }
        return out.toString();
    }
}
