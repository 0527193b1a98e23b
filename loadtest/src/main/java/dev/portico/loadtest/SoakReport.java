package dev.portico.loadtest;

import dev.portico.loadtest.SoakResponse.Ending;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** Writes the soak's results.md and samples.tsv, and decides whether it passed. */
final class SoakReport {
    private SoakReport() {}

    /** One reading of Portico's resources (and the soak's progress) at {@code seconds} since the start. */
    record Sample(double seconds, String phase, long rssKiB, long fds, int threads, double heapUsedMiB,
                  double heapCommittedMiB, double nonHeapMiB, double directMiB, int inFlight, long ended,
                  long failed) {
        @Override
        public String toString() {
            return String.format("RSS %.1f MiB (heap %.0f of %.0f MiB committed, non-heap %.0f MiB, Netty direct "
                                 + "%.0f MiB), %d fds, %d threads", rssKiB / 1024.0, heapUsedMiB, heapCommittedMiB,
                                 nonHeapMiB, directMiB, fds, threads);
        }
    }

    /** What the soak saw besides the tally. */
    static final class Result {
        Sample before;
        Sample after;
        List<Sample> samples = List.of();
        List<String> events = List.of();
        List<String> probes = List.of();
        long idleOpened;
        long idleClosedByPortico;
        long callsActiveAfter = -1;
        boolean porticoAlive;
    }

    private record Check(String name, String measured, boolean passed) {}

    /** Writes the report; true when every check passed. */
    static boolean write(Options o, List<String> conditions, SoakTally warmup, SoakTally tally, Result r)
            throws IOException {
        final List<Sample> during = r.samples.stream().filter(s -> s.phase().equals("soak")).toList();
        final long peakRss = during.stream().mapToLong(Sample::rssKiB).max().orElse(-1);
        final long peakFds = during.stream().mapToLong(Sample::fds).max().orElse(-1);
        final int peakThreads = during.stream().mapToInt(Sample::threads).max().orElse(-1);
        final long rssAllowed = r.before == null ? -1 : r.before.rssKiB()
                + Math.max(Soak.RSS_MARGIN_KIB, Math.round(r.before.rssKiB() * Soak.RSS_MARGIN_SHARE));

        final List<Check> checks = new ArrayList<>();
        final long noStatus = tally.count(Ending.Kind.NO_STATUS);
        final long stuck = tally.count(Ending.Kind.STUCK);
        final long warmupFailed = warmup.count(Ending.Kind.NO_STATUS) + warmup.count(Ending.Kind.STUCK);
        checks.add(new Check("calls that ended with no status", String.format("%,d", noStatus), noStatus == 0));
        checks.add(new Check("calls with no end within " + Soak.CALL_BOUND_SECONDS + " s (stuck)",
                             String.format("%,d", stuck), stuck == 0));
        checks.add(new Check("warm-up calls with no status or stuck", String.format("%,d of %,d", warmupFailed,
                                                                                     warmup.sent()),
                             warmupFailed == 0));
        checks.add(new Check("Portico still running at the end", r.porticoAlive ? "yes" : "no", r.porticoAlive));
        final boolean probesOk = !r.probes.isEmpty() && r.probes.stream().allMatch(p -> p.contains(": OK ("));
        checks.add(new Check("one plain call of every kind after the soak ends OK",
                             r.probes.stream().filter(p -> p.contains(": OK (")).count() + " of " + r.probes.size(),
                             probesOk));
        if (r.before != null && r.after != null) {
            checks.add(new Check("open fds after ≤ before + " + Soak.FD_MARGIN,
                                 r.after.fds() + " after, " + r.before.fds() + " before",
                                 r.after.fds() <= r.before.fds() + Soak.FD_MARGIN));
            checks.add(new Check(String.format("RSS after ≤ before + max(%d MiB, %.0f%%)", Soak.RSS_MARGIN_KIB / 1024,
                                               100 * Soak.RSS_MARGIN_SHARE),
                                 String.format("%.1f MiB after, %.1f MiB allowed", r.after.rssKiB() / 1024.0,
                                               rssAllowed / 1024.0),
                                 r.after.rssKiB() <= rssAllowed));
            final double liveAllowed = r.before.heapUsedMiB() + Math.max(Soak.LIVE_HEAP_MARGIN_MIB,
                                                                         r.before.heapUsedMiB()
                                                                         * Soak.LIVE_HEAP_MARGIN_SHARE);
            checks.add(new Check(String.format("live heap (after a full GC) after ≤ before + max(%.0f MiB, %.0f%%)",
                                               Soak.LIVE_HEAP_MARGIN_MIB, 100 * Soak.LIVE_HEAP_MARGIN_SHARE),
                                 String.format("%.1f MiB after, %.1f MiB before", r.after.heapUsedMiB(),
                                               r.before.heapUsedMiB()),
                                 r.before.heapUsedMiB() >= 0 && r.after.heapUsedMiB() <= liveAllowed));
        } else {
            checks.add(new Check("resources sampled before and after", "missing", false));
        }
        checks.add(new Check("calls in flight in Portico after (portico_calls_active)",
                             r.callsActiveAfter < 0 ? "not reported" : String.valueOf(r.callsActiveAfter),
                             r.callsActiveAfter <= 0));
        final long leaks = countLines(o.results().resolve("logs/portico-soak.log"), "LEAK:");
        checks.add(new Check("buffer leaks reported by Netty's leak detector in Portico's log", String.valueOf(leaks),
                             leaks == 0));
        final boolean passed = checks.stream().allMatch(Check::passed);

        final StringBuilder md = new StringBuilder();
        md.append("# Portico soak: ").append(passed ? "PASSED" : "FAILED").append("\n\n");
        md.append("`loadtest/run.sh --soak --soak-duration ").append(o.soakSeconds()).append("s`: ")
          .append(o.soakSeconds()).append(" s of faults after a warm-up; see loadtest/README.md, \"Soak\".\n\n");
        for (String line : conditions) {
            md.append("- ").append(line).append('\n');
        }
        md.append("\n## Checks\n\n| Check | Measured | |\n|---|---|---|\n");
        for (Check c : checks) {
            md.append("| ").append(c.name()).append(" | ").append(c.measured()).append(" | ")
              .append(c.passed() ? "passed" : "**FAILED**").append(" |\n");
        }

        md.append("\n## Calls\n\n");
        md.append(String.format("Warm-up (no faults, not counted below): %,d calls, %s.%n%n", warmup.sent(),
                                warmup.statusSteady().entrySet().stream()
                                        .map(e -> e.getKey() + " " + String.format("%,d", e.getValue()))
                                        .collect(Collectors.joining(", "))));
        md.append(String.format("%,d calls sent (%.0f a second): %,d ended with a status, %,d cancelled on purpose by the soak, "
                                + "%,d refused before processing (retry-safe), %,d with no status, %,d stuck, "
                                + "%,d not sent (no connection).%n%n",
                                tally.sent(), tally.sent() / (double) o.soakSeconds(), tally.count(Ending.Kind.STATUS),
                                tally.count(Ending.Kind.CANCELLED_ON_PURPOSE), tally.count(Ending.Kind.REFUSED),
                                noStatus, stuck, tally.count(Ending.Kind.NOT_SENT)));
        md.append("Statuses by code (in steady state | around a backend restart: from the stop until 5 s after "
                  + "the first OK call through Portico to the new backend):\n\n"
                  + "| Code | Steady | Around restarts |\n|---|---:|---:|\n");
        final Set<String> codes = new LinkedHashSet<>(tally.statusSteady().keySet());
        codes.addAll(tally.statusAroundRestarts().keySet());
        for (String code : codes) {
            md.append(String.format("| %s | %,d | %,d |%n", code, tally.statusSteady().getOrDefault(code, 0L),
                                    tally.statusAroundRestarts().getOrDefault(code, 0L)));
        }
        md.append("\nBy call kind and fault:\n\n| Call | Fault | Sent | Endings |\n|---|---|---:|---|\n");
        tally.byCall().forEach((call, endings) -> {
            final String[] parts = call.split(" \\| ", 2);
            md.append(String.format("| %s | %s | %,d | %s |%n", parts[0], parts[1],
                                    endings.values().stream().mapToLong(Long::longValue).sum(),
                                    endings.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                                            .collect(Collectors.joining(", "))));
        });
        if (!tally.failureReasons().isEmpty()) {
            md.append("\n### Calls with no status or no end\n\n| Reason | Calls |\n|---|---:|\n");
            tally.failureReasons().forEach((reason, n) -> md.append("| ").append(reason).append(" | ")
                    .append(String.format("%,d", n)).append(" |\n"));
            md.append("\nFirst examples (t since the soak started):\n\n");
            tally.examples().forEach(e -> md.append("- ").append(e).append('\n'));
        }

        md.append("\n## Faults injected\n\n");
        md.append("- Client resets and cancels: see the `client reset right after the request` and `client cancel "
                  + "after the first message` rows (h2c: RST_STREAM CANCEL; HTTP/1.1: the connection closed).\n");
        md.append(String.format("- Slow readers: %,d streams of 512 × 1 KiB read slowly to their end (mean %,d ms, "
                                + "longest %,d ms), %d lanes at a time, sharing h2c connections with the other "
                                + "calls.%n", tally.slowReads(), tally.slowReadMeanMs(), tally.slowReadMaxMs(),
                                Soak.SLOW_LANES));
        md.append(String.format("- Idle connections: %d opened at the start of the fault phase and left open (a "
                                + "third silent TCP, a third h2c after SETTINGS, a third HTTP/1.1 after one call); "
                                + "Portico closed %d of them before the soak did.%n", r.idleOpened,
                                r.idleClosedByPortico));
        md.append("- Backend restarts and other events:\n");
        r.events.forEach(e -> md.append("  - ").append(e).append('\n'));

        md.append("\n## Portico's log\n\n").append(logSummary(o.results().resolve("logs/portico-soak.log")))
          .append('\n');
        md.append("\n## Portico's resources\n\nRSS, fds and threads from /proc; the JVM heap (used / committed), "
                  + "non-heap committed (metaspace, code cache) and Netty's direct memory from Portico's own "
                  + "metrics.\n\n"
                  + "| | RSS MiB | heap used / committed MiB | non-heap MiB | Netty direct MiB | open fds | threads |\n"
                  + "|---|---:|---:|---:|---:|---:|---:|\n");
        row(md, "before (idle after the warm-up; heap after a full GC)", r.before);
        md.append(String.format("| peak during the soak | %.1f | %.0f / %.0f | %.0f | %.0f | %d | %d |%n",
                                peakRss / 1024.0, during.stream().mapToDouble(Sample::heapUsedMiB).max().orElse(-1),
                                during.stream().mapToDouble(Sample::heapCommittedMiB).max().orElse(-1),
                                during.stream().mapToDouble(Sample::nonHeapMiB).max().orElse(-1),
                                during.stream().mapToDouble(Sample::directMiB).max().orElse(-1), peakFds,
                                peakThreads));
        row(md, "after (load stopped, connections closed; heap after a full GC)", r.after);
        md.append("\nDuring (every ").append(sampleStep(during)).append(" s; every sample is in samples.tsv):\n\n"
                                                                     + "| t s | RSS MiB | heap used / committed MiB "
                                                                     + "| non-heap MiB | Netty direct MiB | fds "
                                                                     + "| threads | calls in flight | calls ended "
                                                                     + "| no status or stuck |\n"
                                                                     + "|---:|---:|---:|---:|---:|---:|---:|---:|---:"
                                                                     + "|---:|\n");
        final int step = Math.max(1, during.size() / 24);
        for (int i = 0; i < during.size(); i += step) {
            final Sample s = during.get(i);
            md.append(String.format("| %.0f | %.1f | %.0f / %.0f | %.0f | %.0f | %d | %d | %d | %,d | %d |%n",
                                    s.seconds(), s.rssKiB() / 1024.0, s.heapUsedMiB(), s.heapCommittedMiB(),
                                    s.nonHeapMiB(), s.directMiB(),
                                    s.fds(), s.threads(), s.inFlight(), s.ended(), s.failed()));
        }
        md.append("\n## Final calls\n\n");
        r.probes.forEach(p -> md.append("- ").append(p).append('\n'));
        Files.writeString(o.results().resolve("results.md"), md.toString());

        final StringBuilder tsv = new StringBuilder("seconds\tphase\trss_kib\tfds\tthreads\theap_used_mib\t"
                                                    + "heap_committed_mib\tnon_heap_mib\tnetty_direct_mib\tin_flight\t"
                                                    + "ended\t"
                                                    + "no_status_or_stuck\n");
        for (Sample s : r.samples) {
            tsv.append(String.format("%.1f\t%s\t%d\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%d\t%d\t%d%n", s.seconds(),
                                     s.phase(), s.rssKiB(), s.fds(), s.threads(), s.heapUsedMiB(),
                                     s.heapCommittedMiB(), s.nonHeapMiB(), s.directMiB(), s.inFlight(), s.ended(),
                                     s.failed()));
        }
        Files.writeString(o.results().resolve("samples.tsv"), tsv.toString());
        System.out.println(md);
        return passed;
    }

    private static long countLines(Path log, String containing) throws IOException {
        if (!Files.exists(log)) {
            return 0;
        }
        try (var lines = Files.lines(log)) {
            return lines.filter(l -> l.contains(containing)).count();
        }
    }

    /** Lines by level, stack-trace lines, and the most frequent WARN messages (their text up to a colon). */
    private static String logSummary(Path log) throws IOException {
        if (!Files.exists(log)) {
            return "(no log)";
        }
        final List<String> lines = Files.readAllLines(log);
        final long warn = lines.stream().filter(l -> l.contains(" WARN ")).count();
        final long error = lines.stream().filter(l -> l.contains(" ERROR ")).count();
        final long traces = lines.stream().filter(l -> l.matches("\\s+at .*")).count();
        final String top = lines.stream().filter(l -> l.contains(" WARN ") || l.contains(" ERROR "))
                .map(l -> l.replaceFirst("^\\S+ ", "").replaceAll("/127\\.0\\.0\\.1:\\d+", "/127.0.0.1:*")
                        .replaceAll("POST \\S+", "POST *"))
                .map(l -> l.length() > 160 ? l.substring(0, 160) + "…" : l)
                .collect(Collectors.groupingBy(l -> l, Collectors.counting())).entrySet().stream()
                .sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(8)
                .map(e -> String.format("| %,d | `%s` |", e.getValue(), e.getKey()))
                .collect(Collectors.joining("\n"));
        return String.format("%,d lines: %,d WARN, %,d ERROR, %,d stack-trace lines (logs/portico-soak.log).%n%n"
                             + "| Lines | WARN or ERROR message (addresses and paths folded) |%n|---:|---|%n%s%n",
                             lines.size(), warn, error, traces, top);
    }

    private static void row(StringBuilder md, String label, Sample s) {
        if (s == null) {
            md.append("| ").append(label).append(" | - | - | - | - | - | - |\n");
        } else {
            md.append(String.format("| %s | %.1f | %.0f / %.0f | %.0f | %.0f | %d | %d |%n", label, s.rssKiB() / 1024.0,
                                s.heapUsedMiB(), s.heapCommittedMiB(), s.nonHeapMiB(), s.directMiB(), s.fds(),
                                s.threads()));
        }
    }

    private static long sampleStep(List<Sample> during) {
        if (during.size() < 2) {
            return 5;
        }
        final int step = Math.max(1, during.size() / 24);
        return Math.round((during.get(1).seconds() - during.get(0).seconds()) * step);
    }
}
