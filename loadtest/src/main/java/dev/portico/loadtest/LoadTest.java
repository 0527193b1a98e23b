package dev.portico.loadtest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The runner: starts the backend; for each Portico variant starts a fresh Portico, checks one call of each
 * scenario, warms it up, and measures each scenario {@code repeats} times, each run paired with a
 * direct-gRPC run just before it; then the open-streams scenario, with a fresh Portico of its own. Every
 * run's counts are checked against the backend's. Ends by writing the report.
 *
 * <p>Pinning: the backend and Portico run on {@code serverCpu}, every load tool on {@code loadCpu}; the
 * runner itself (started by run.sh on the load core) only sleeps while a tool runs.
 */
final class LoadTest {
    /** Below this share of a warm-up chunk spent in the JIT compilers, a JVM counts as compiled. */
    private static final double QUIET_COMPILER_SHARE = 0.03;

    private final Options o;
    private final Path logs;
    private final BackendClient backendClient;
    private final List<Sample> samples = new ArrayList<>();
    private final List<String> probes = new ArrayList<>();
    /** Pairs measured again because the machine was busy with other work. */
    private final List<String> remeasured = new ArrayList<>();
    private final Servers servers;
    /** "scenario / variant" pairs whose first call has been checked. */
    private final Set<String> probed = new HashSet<>();
    /** Calls per measured direct-gRPC run, per scenario (calibrated once). */
    private final Map<String, Long> directCalls = new HashMap<>();
    private Daemon backend;
    /** The bidi-c8 scenario's section of the report (empty when not selected), and its failed checks. */
    private String bidiSection = "";
    private final List<String> bidiFailures = new ArrayList<>();
    /** Each paired Portico variant's start-up: launch to listening and ready, and its first warm-up's rates. */
    private final List<Startup> startups = new ArrayList<>();
    /** RSS of the current Portico right after start-up, before any call. */
    private long porticoIdleRss = -1;

    private LoadTest(Options o) throws IOException {
        this.o = o;
        this.logs = o.results().resolve("logs");
        this.backendClient = new BackendClient(o.statsPort());
        this.servers = new Servers(o, logs);
    }

    public static void main(String[] args) throws Exception {
        final Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("loadtest: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.exit(options.soak() ? Soak.main(options) : new LoadTest(options).run());
    }

    private int run() throws Exception {
        Files.createDirectories(logs);
        Files.createDirectories(o.work());
        writeBodies();
        servers.requireFreePorts();
        final Instant started = Instant.now();
        final List<String> conditions = Conditions.collect(o);
        Runtime.getRuntime().addShutdownHook(new Thread(servers::close, "loadtest-cleanup"));
        try {
            backend = servers.startBackend();
            final List<Scenario> all = Scenario.all(o);
            final List<Scenario> paired = all.stream().filter(sc -> sc.kind() != Scenario.Kind.OPEN_STREAMS).toList();
            boolean backendWarm = false;
            for (Variant variant : Variant.ALL) {
                final List<Scenario> selected = paired.stream()
                        .filter(sc -> !variant.direct() && sc.variants().contains(variant) && selected(sc, variant))
                        .toList();
                if (selected.isEmpty()) {
                    continue;
                }
                if (!backendWarm) {
                    log("== backend warm-up (direct gRPC, unary, concurrency 50)");
                    warmUp(jitWarmup(), Variant.DIRECT, null, o.quick() ? 3 : 5, o.warmupSeconds() / 2);
                    backendWarm = true;
                }
                runPaired(variant, selected);
            }
            for (Scenario scenario : all) {
                if (scenario.kind() == Scenario.Kind.OPEN_STREAMS) {
                    for (Variant variant : scenario.variants()) {
                        if (selected(scenario, variant)) {
                            runOpenStreams(scenario, variant);
                        }
                    }
                }
            }
            if (BidiBench.selected(o)) {
                bidiSection = BidiBench.run(o, servers, LoadTest::log, bidiFailures);
            }
        } finally {
            servers.close();
        }
        conditions.add("Run took " + Duration.between(started, Instant.now()).toSeconds() + " s; load average "
                       + "after: " + Files.readString(Path.of("/proc/loadavg")).trim() + ".");
        final String markdown = Report.write(o, conditions, samples, probes, remeasured, startups);
        System.out.println();
        System.out.println(markdown);
        if (!bidiSection.isEmpty()) {
            // Its own section: the paired h2load/wrk tables cannot hold a scenario those tools cannot drive.
            Files.writeString(o.results().resolve("results.md"), bidiSection + (bidiFailures.isEmpty() ? ""
                    : "\nFAILED checks:\n" + String.join("\n", bidiFailures) + "\n"), StandardOpenOption.APPEND);
            System.out.println(bidiSection);
        }
        final long failed = samples.stream().filter(s -> !s.ok()).count() + bidiFailures.size();
        if (failed > 0) {
            System.err.println("loadtest: " + failed + " measurement(s) FAILED their checks; see "
                               + o.results().resolve("results.md"));
            return 1;
        }
        System.err.println("loadtest: all checks passed; report in " + o.results());
        return 0;
    }

    /** Unary echo at concurrency 50, the most calls per second: what gets the JIT to compile fastest. */
    private Scenario jitWarmup() {
        return Scenario.all(o).stream().filter(sc -> sc.kind() == Scenario.Kind.THROUGHPUT).findFirst()
                .orElseThrow().withConcurrency("jit-warmup-unary-c50", 50);
    }

    private boolean selected(Scenario scenario, Variant variant) {
        return o.only().matcher(scenario.id() + "/" + variant.id).find();
    }

    private void writeBodies() throws IOException {
        RequestBodies.write(o.work(), "echo-100", RequestBodies.echo(100));
        RequestBodies.write(o.work(), "stream-1000x1024", RequestBodies.stream(1000, 1024, 0));
        // Held until the runner calls /release; the hold time only bounds a stream if the runner dies.
        RequestBodies.write(o.work(), "hold-64", RequestBodies.stream(1, 64, 150_000));
        RequestBodies.write(o.work(), "hold-64-probe", RequestBodies.stream(1, 64, 1));
    }

    // ---------------------------------------------------------------- unary and streaming: paired runs

    /**
     * One Portico variant through the unary and streaming scenarios, in one fresh Portico process: the
     * first call of each scenario is checked, the process is warmed up once, and then, per scenario and
     * repetition, the direct-gRPC baseline and the variant are measured back to back, so that each ratio
     * compares two runs a few seconds apart on this shared machine.
     */
    private void runPaired(Variant variant, List<Scenario> scenarios) throws InterruptedException {
        log("== " + variant.id + " (" + variant.label() + "): " + scenarios.stream().map(Scenario::id).toList());
        Daemon portico = null;
        final List<Scenario> ready = new ArrayList<>();
        try {
            portico = servers.startPortico(variant.id, variant.tls());
            porticoIdleRss = portico.rssKiB();
            for (Scenario scenario : scenarios) {
                try {
                    probe(scenario, Variant.DIRECT, scenario.bodyFile(Variant.DIRECT));
                    probe(scenario, variant, scenario.bodyFile(variant));
                    ready.add(scenario);
                } catch (CheckFailed | IOException e) {
                    failed(scenario, variant, e);
                }
            }
            if (!ready.isEmpty()) {
                log("   JIT warm-up (unary, concurrency 50)");
                // The first load this process sees, right after the first-call checks: its chunk rates show
                // how soon a fresh Portico gets near its steady rate (the report's Start-up section).
                final List<Double> rates = warmUp(jitWarmup(), variant, portico, 5, o.warmupSeconds() / 2);
                startups.add(new Startup(variant, portico.listeningMillis, portico.readyMillis, rates));
            }
        } catch (CheckFailed | IOException e) {
            ready.forEach(sc -> failed(sc, variant, e));
            ready.clear();
        }
        for (Scenario scenario : ready) {
            try {
                final long direct = directCalls.containsKey(scenario.id()) ? directCalls.get(scenario.id())
                        : calibrate(scenario, Variant.DIRECT, null);
                directCalls.put(scenario.id(), direct);
                final long calls = calibrate(scenario, variant, portico);
                for (int rep = 1; rep <= o.repeats(); rep++) {
                    measurePair(scenario, variant, portico, rep, direct, calls);
                }
            } catch (CheckFailed | IOException e) {
                failed(scenario, variant, e);
            }
        }
        if (portico != null) {
            servers.stop(portico);
        }
    }

    /**
     * One repetition: the direct baseline, then the variant, both recorded. A pair that passed its checks
     * but during which other work took more than {@code --noise-limit} of the server CPU is measured again
     * (at most {@code --noise-retries} times) and the quietest attempt is kept; the others are listed in the
     * report. A pair that failed a check is recorded as it is, never measured again.
     */
    private void measurePair(Scenario scenario, Variant variant, Daemon portico, int rep, long directCalls,
                             long calls) throws InterruptedException {
        Sample keptBase = null;
        Sample kept = null;
        for (int attempt = 0; attempt <= o.noiseRetries(); attempt++) {
            final Sample base = measured(new Sample(scenario, Variant.DIRECT, rep), null, directCalls);
            final Sample sample = new Sample(scenario, variant, rep);
            sample.baseline = base;
            sample.porticoIdleRssKiB = porticoIdleRss;
            if (base.ok()) {
                measured(sample, portico, calls);
            } else {
                sample.failure = "not measured: its direct baseline failed";
            }
            if (!base.ok() || !sample.ok()) {
                keptBase = base;
                kept = sample;
                break;
            }
            final double noise = Math.max(base.otherOnServerCore, sample.otherOnServerCore);
            if (kept == null || noise < Math.max(keptBase.otherOnServerCore, kept.otherOnServerCore)) {
                keptBase = base;
                kept = sample;
            }
            if (noise <= o.noiseLimit()) {
                break;
            }
            if (attempt < o.noiseRetries()) {
                final String note = String.format("%s / %s run %d: other work took %.0f%% of the server CPU, "
                                                  + "measured again", scenario.id(), variant.id, rep, 100 * noise);
                remeasured.add(note);
                log("   " + note);
            }
        }
        samples.add(keptBase);
        samples.add(kept);
    }

    /** Runs one measurement, passed or failed (see {@link Sample#failure}); never throws a check failure. */
    private Sample measured(Sample sample, Daemon portico, long calls) throws InterruptedException {
        try {
            if (sample.scenario.kind() == Scenario.Kind.OPEN_STREAMS) {
                measureOpenStreams(sample, portico);
            } else {
                measure(sample, portico, calls);
            }
            if (portico != null && !portico.alive()) {
                throw new CheckFailed("Portico exited during the run (see " + portico.log.getFileName() + ")");
            }
            log("   " + sample.scenario.id() + " / " + sample.variant.id + " run " + sample.rep + ": "
                + describe(sample) + "; " + sample.checks);
        } catch (CheckFailed | IOException e) {
            sample.failure = e.getMessage();
            log("   " + sample.scenario.id() + " / " + sample.variant.id + " run " + sample.rep + ": CHECK FAILED: "
                + e.getMessage());
        }
        return sample;
    }

    private void failed(Scenario scenario, Variant variant, Exception e) {
        final Sample sample = new Sample(scenario, variant, 1);
        sample.failure = e.getMessage();
        samples.add(sample);
        log("   " + scenario.id() + " / " + variant.id + ": CHECK FAILED: " + e.getMessage());
    }

    private void probe(Scenario scenario, Variant variant, String bodyFile) throws IOException, InterruptedException {
        final String key = scenario.id() + " / " + variant.id;
        if (probed.add(key)) {
            final String result = Probe.check(o, scenario, variant, bodyFile, scenario.messages(), logs);
            probes.add(key + ": " + result);
            log("   first call " + key + ": " + result);
        }
    }

    // ---------------------------------------------------------------- open streams

    /** The open-streams scenario, with a fresh Portico of its own so that its RSS is this load's alone. */
    private void runOpenStreams(Scenario scenario, Variant variant) throws InterruptedException {
        log("== " + scenario.id() + " / " + variant.id + " (" + variant.label() + ")");
        Daemon portico = null;
        try {
            if (!variant.direct()) {
                portico = servers.startPortico(scenario.id() + "-" + variant.id, variant.tls());
                porticoIdleRss = portico.rssKiB();
            }
            probe(scenario, variant, "hold-64-probe" + variant.format.bodySuffix);
            for (int rep = 1; rep <= o.repeats(); rep++) {
                final Sample sample = new Sample(scenario, variant, rep);
                sample.porticoIdleRssKiB = porticoIdleRss;
                samples.add(measured(sample, portico, scenario.concurrency()));
            }
        } catch (CheckFailed | IOException e) {
            failed(scenario, variant, e);
        } finally {
            if (portico != null) {
                servers.stop(portico);
            }
        }
    }

    // ---------------------------------------------------------------- warm-up and calibration

    /**
     * Loads the variant in 2 s chunks until it is warm: two chunks in a row that do not beat the best rate by
     * 10%, the last of them with the JIT compilers of the backend and of Portico ({@code portico}, null for
     * direct gRPC) quiet (under {@link #QUIET_COMPILER_SHARE} of the chunk). The rate alone is not enough:
     * a fresh JVM that shares one core with the backend climbs in steps with flat stretches between them,
     * and C2 can still take a third of that core 30 s after the rate looks flat. At least {@code minChunks},
     * at most {@code maxChunks}; a warm-up that ends on its cap is logged as such. Every chunk is checked like a
     * measured run. Returns every chunk's rate, in order.
     */
    private List<Double> warmUp(Scenario shape, Variant variant, Daemon portico, int minChunks, int maxChunks)
            throws IOException, InterruptedException {
        final int chunkSeconds = Startup.CHUNK_SECONDS;
        final List<Double> rates = new ArrayList<>();
        final List<String> described = new ArrayList<>();
        double best = 0;
        int flat = 0;   // consecutive chunks that did not beat the best by 10%: one may be a noisy dip
        boolean warm = false;
        for (int chunk = 1; chunk <= Math.max(minChunks, maxChunks) && !warm; chunk++) {
            final double compiling = Usage.compiler(backend, portico);
            final double rate = timedRun(shape, variant, chunkSeconds, "warmup-" + chunk).rate();
            final double compiled = Usage.compiler(backend, portico) - compiling;
            rates.add(rate);
            described.add(String.format("%,.0f (JIT %.0f%%)", rate, 100 * compiled / chunkSeconds));
            flat = rate > 1.10 * best ? 0 : flat + 1;
            best = Math.max(best, rate);
            warm = chunk >= minChunks && flat >= 2 && compiled < QUIET_COMPILER_SHARE * chunkSeconds;
        }
        log("   " + shape.id() + " / " + variant.id + " calls/s per " + chunkSeconds + " s (compiler CPU): "
            + String.join(", ", described) + (warm ? "" : "; stopped at the cap, not yet warm"));
        return rates;
    }

    /**
     * Warms the scenario's own shape up (3 to 15 chunks of 2 s; 2 to 10 with --quick) and returns the number
     * of calls a measured h2load run of about {@code seconds} needs at the best chunk's rate (wrk runs for
     * {@code seconds} instead). Sizing by the best rate errs towards runs longer than {@code --seconds} when
     * the machine is busy, never much shorter.
     */
    private long calibrate(Scenario scenario, Variant variant, Daemon portico)
            throws IOException, InterruptedException {
        final double rate = Collections.max(o.quick() ? warmUp(scenario, variant, portico, 2, 10)
                : warmUp(scenario, variant, portico, 3, 15));
        final long minimum = Math.max(scenario.concurrency() * 5L,
                                      scenario.kind() == Scenario.Kind.STREAMING ? 20 : 200);
        return Math.max(minimum, Math.min(50_000_000L, Math.round(rate * o.seconds())));
    }

    /** A run stopped on a clock (warm-up), checked against the backend like a measured one. */
    private LoadTools.Result timedRun(Scenario shape, Variant variant, int seconds, String label)
            throws IOException, InterruptedException {
        final Map<String, Long> before = backendClient.stats();
        final Path out = logs.resolve("warmup").resolve(shape.id() + "-" + variant.id + "-" + label + ".txt");
        Files.createDirectories(out.getParent());
        final long timeout = seconds * 4L + 30;
        final LoadTools.Result result = variant.transport == Variant.Transport.HTTP1
                ? LoadTools.startWrk(o, shape, variant, seconds, out, timeout).finish()
                : LoadTools.startH2load(o, shape, variant, 0, seconds, null, out, timeout).finish();
        final Map<String, Long> after = backendClient.statsWhenQuiet(before.get("calls_open"));
        // Both tools stop on a clock here, and h2load -D leaves out calls that ended before its main phase
        // began: the backend may count more, never fewer. The exact checks are the measured runs'.
        checkCounts(shape, result, before, after, -1, Long.MAX_VALUE);
        if (result.ok() == 0) {
            throw new CheckFailed(label + ": no call completed");
        }
        return result;
    }

    /** One measured run: h2load with a fixed number of calls, or wrk for {@code seconds}. */
    private void measure(Sample sample, Daemon portico, long requests) throws IOException, InterruptedException {
        final Scenario scenario = sample.scenario;
        final Variant variant = sample.variant;
        final Path out = logs.resolve(scenario.id() + "-" + variant.id + "-r" + sample.rep + ".txt");
        final long timeout = Math.max(60, o.seconds() * 6L + 30);
        final Map<String, Long> before = backendClient.stats();
        final Usage usage = Usage.start(o, backend, portico);
        final LoadTools.Result result;
        if (variant.transport == Variant.Transport.HTTP1) {
            result = LoadTools.startWrk(o, scenario, variant, o.seconds(), out, timeout).finish();
        } else {
            result = LoadTools.startH2load(o, scenario, variant, requests, 0, o.work().resolve("latency.log"), out,
                                           timeout).finish();
        }
        usage.stop(sample);
        final Map<String, Long> after = backendClient.statsWhenQuiet(before.get("calls_open"));
        if (result.tool().equals("wrk")) {
            // wrk stops on a clock: up to one call per connection may have been in flight.
            sample.checks = checkCounts(scenario, result, before, after, -1, scenario.concurrency());
        } else {
            sample.checks = checkCounts(scenario, result, before, after, requests, 0);
            final double perByte = variant.format.base64() ? 4.0 / 3 : 1;
            final long minData = (long) (requests * scenario.messages() * scenario.messageBytes() * perByte);
            if (result.dataBytes() < minData) {
                throw new CheckFailed("h2load received " + result.dataBytes() + " body bytes, fewer than the "
                                      + minData + " the payloads alone take");
            }
            if (result.latencyRows() != requests || result.latencyNot200() != 0) {
                throw new CheckFailed("h2load's request log has " + result.latencyRows() + " rows ("
                                      + result.latencyNot200() + " not HTTP 200) for " + requests + " calls");
            }
        }
        sample.calls = result.ok();
        sample.seconds = result.seconds();
        sample.callsPerSecond = result.rate();
        sample.payloadMBps = result.ok() * (double) scenario.messages() * scenario.messageBytes()
                             / result.seconds() / 1e6;
        sample.p50us = result.p50us();
        sample.p99us = result.p99us();
        if (portico != null) {
            sample.porticoPeakRssKiB = portico.peakRssKiB();
            sample.porticoRssKiB = portico.rssKiB();
        }
        sample.backendRssKiB = backend.rssKiB();
    }

    /**
     * Opens {@code concurrency} server streams at once (h2load, 500 streams per connection), each of which
     * the backend holds open after its first message; once the backend reports them all open, reads the
     * RSS of Portico and the backend, then releases them and checks every one ended OK.
     */
    private void measureOpenStreams(Sample sample, Daemon portico) throws IOException, InterruptedException {
        final Scenario scenario = sample.scenario;
        final int target = scenario.concurrency();
        final Path out = logs.resolve(scenario.id() + "-" + sample.variant.id + "-r" + sample.rep + ".txt");
        backendClient.resetPeak();
        final Map<String, Long> before = backendClient.stats();
        final long openBefore = before.get("calls_open");
        sample.backendIdleRssKiB = backend.rssKiB();
        if (portico != null) {
            sample.porticoIdleRssKiB = portico.rssKiB();
        }
        final Usage usage = Usage.start(o, backend, portico);
        final LoadTools.Running tool = LoadTools.startH2load(o, scenario, sample.variant, target, 0, null, out, 240);
        final long t0 = System.nanoTime();
        long open = 0;
        try {
            while (System.nanoTime() - t0 < 120_000_000_000L && tool.alive()) {
                open = backendClient.stats().get("calls_open") - openBefore;
                if (open >= target) {
                    break;
                }
                Thread.sleep(50);
            }
            sample.openSeconds = (System.nanoTime() - t0) / 1e9;
            sample.openStreams = open;
            if (open < target) {
                throw new CheckFailed("only " + open + " of " + target + " streams were open at the backend after "
                                      + String.format("%.1f", sample.openSeconds) + " s");
            }
            Thread.sleep(1000);   // let allocation settle before reading RSS
            if (portico != null) {
                sample.porticoRssKiB = portico.rssKiB();
            }
            sample.backendRssKiB = backend.rssKiB();
        } finally {
            final int released = backendClient.release();
            log("   released " + released + " held streams");
        }
        final LoadTools.Result result = tool.finish();
        usage.stop(sample);
        final Map<String, Long> after = backendClient.statsWhenQuiet(openBefore);
        sample.checks = checkCounts(scenario, result, before, after, target, 0);
        if (after.get("calls_open_peak") < openBefore + target) {
            throw new CheckFailed("backend's open-call peak " + after.get("calls_open_peak") + " < " + target);
        }
        sample.calls = result.ok();
        sample.seconds = result.seconds();
        if (portico != null) {
            sample.porticoPeakRssKiB = portico.peakRssKiB();
        }
    }

    /**
     * The check that keeps a run full of errors from looking fast: the load tool must have counted no
     * error, the backend must have closed every call it saw with OK, and the backend's count of OK calls
     * must equal the tool's ({@code exact} calls when the tool ran a fixed count, otherwise the tool's
     * count plus at most {@code slack} calls that were in flight when the tool stopped on its clock).
     */
    private static String checkCounts(Scenario scenario, LoadTools.Result result, Map<String, Long> before,
                                      Map<String, Long> after, long exact, long slack) {
        final String okKey = scenario.method().equals("Echo") ? "echo_ok" : "stream_ok";
        final long ok = after.get(okKey) - before.get(okKey);
        final long started = after.get("calls_started") - before.get("calls_started");
        final long failed = after.get("calls_failed") - before.get("calls_failed");
        final long messages = after.get("messages_sent") - before.get("messages_sent");
        if (result.problems() > 0) {
            throw new CheckFailed(result.tool() + " counted errors: " + result.problemDetail());
        }
        if (failed > 0) {
            throw new CheckFailed("the backend ended " + failed + " calls with an error status");
        }
        if (exact >= 0) {
            if (result.ok() != exact || ok != exact || started != exact) {
                throw new CheckFailed("count mismatch: asked for " + exact + " calls, " + result.tool() + " counted "
                                      + result.ok() + " OK, the backend " + ok + " OK of " + started + " started");
            }
            if (messages != exact * scenario.messages()) {
                throw new CheckFailed("the backend sent " + messages + " messages, expected "
                                      + exact * scenario.messages());
            }
            return "backend OK " + ok + " = " + result.tool() + " OK " + result.ok();
        }
        if (ok < result.ok() || ok - result.ok() > slack) {
            throw new CheckFailed("count mismatch: " + result.tool() + " counted " + result.ok()
                                  + " OK calls, the backend " + ok + " (allowed: up to " + slack
                                  + " more, in flight when the tool stopped)");
        }
        if (messages < result.ok() * scenario.messages()) {
            throw new CheckFailed("the backend sent " + messages + " messages for " + result.ok() + " calls");
        }
        return "backend OK " + ok + " vs " + result.tool() + " OK " + result.ok() + " (+" + (ok - result.ok())
               + " in flight at stop)";
    }

    private static String describe(Sample s) {
        return switch (s.scenario.kind()) {
            case LATENCY, THROUGHPUT -> String.format("%,.0f calls/s, p50 %d us, p99 %d us, Portico CPU %s",
                                                      s.callsPerSecond, s.p50us, s.p99us, cpu(s));
            case STREAMING -> String.format("%,.1f MB/s (%,.1f calls/s), Portico CPU %s", s.payloadMBps,
                                            s.callsPerSecond, cpu(s));
            case OPEN_STREAMS -> String.format("%,d streams open in %.1f s; RSS Portico %s, backend %d MiB",
                                               s.openStreams, s.openSeconds,
                                               s.porticoRssKiB < 0 ? "-" : s.porticoRssKiB / 1024 + " MiB",
                                               s.backendRssKiB / 1024);
        };
    }

    private static String cpu(Sample s) {
        return Double.isNaN(s.porticoCpuSeconds) ? "-" : String.format("%.0f%%", 100 * s.porticoCpuShare());
    }

    private static void log(String line) {
        System.err.println(line);
    }

    /** CPU time of the servers and busy time of both cores over one measurement. */
    private record Usage(Options o, Daemon backend, Daemon portico, CpuStat cores, double backendCpu,
                         double porticoCpu, long porticoSwitches, double compiler, long t0) {
        static Usage start(Options o, Daemon backend, Daemon portico) throws IOException {
            return new Usage(o, backend, portico, CpuStat.read(o.serverCpu(), o.loadCpu()), backend.cpuSeconds(),
                             portico == null ? 0 : portico.cpuSeconds(),
                             portico == null ? 0 : portico.contextSwitches(), compiler(backend, portico),
                             System.nanoTime());
        }

        private static double compiler(Daemon backend, Daemon portico) throws IOException {
            return backend.compilerSeconds() + (portico == null ? 0 : portico.compilerSeconds());
        }

        void stop(Sample sample) throws IOException {
            final CpuStat now = CpuStat.read(o.serverCpu(), o.loadCpu());
            final double wall = (System.nanoTime() - t0) / 1e9;
            sample.backendCpuSeconds = backend.cpuSeconds() - backendCpu;
            double servers = sample.backendCpuSeconds;
            if (portico != null) {
                sample.porticoCpuSeconds = portico.cpuSeconds() - porticoCpu;
                sample.porticoContextSwitches = portico.contextSwitches() - porticoSwitches;
                sample.porticoThreads = portico.threads();
                servers += sample.porticoCpuSeconds;
            }
            sample.otherOnServerCore = Math.max(0, (now.taskSecondsSince(cores, 0) - servers) / wall);
            sample.loadCoreBusy = now.busySince(cores, 1);
            sample.compilerSeconds = compiler(backend, portico) - compiler;
        }
    }

}
