package dev.portico.loadtest;

import dev.portico.loadtest.SoakResponse.Ending;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The soak: one Portico (defaults only) in front of the benchmark backend, driven for {@code --soak-duration}
 * by a bounded mix of every protocol and call type while faults are injected: client resets and cancels,
 * slow readers, idle connections left open, and backend restarts (SIGTERM, then SIGKILL, alternating).
 * Every call's ending is classified ({@link SoakResponse}); Portico's RSS and open file descriptors are
 * sampled before, during and after. See loadtest/README.md, "Soak".
 *
 * <p>Lanes are threads that each make one call at a time (so the calls in flight are bounded by the lane
 * count) and block on its end; the network work runs on one Netty event loop. Every loop is bounded by the
 * clock and every call by {@link #CALL_BOUND_SECONDS}.
 */
final class Soak {
    /** A call with no end after this long is closed and counted as stuck (the slowest read takes ~10 s). */
    static final int CALL_BOUND_SECONDS = 60;
    private static final int MIXED_LANES = 12;
    static final int SLOW_LANES = 2;
    private static final int H2_CONNECTIONS = 4;
    /** Idle connections opened at the start of the fault phase, a third of each kind. */
    private static final int IDLE_CONNECTIONS = 60;
    /** Calls per second over all mixed lanes: a steady soak, not a throughput test. */
    private static final int RATE = 300;
    private static final int WARMUP_SECONDS = 20;
    private static final int SAMPLE_SECONDS = 5;
    /** Pass rule: fds may end this many above the idle count before the fault phase. */
    static final int FD_MARGIN = 8;
    /**
     * Pass rule: RSS may end this much above before (the larger of the two). Before is taken after a short
     * warm-up without faults: the heap is committed but not all of it touched yet (RSS counts touched pages
     * only), and the JIT's code cache (bin/portico reserves 48 MiB) and metaspace still grow as the fault
     * paths (errors, resets, restarts) get compiled. Leaks are what the live-heap and fd rules look for.
     */
    static final long RSS_MARGIN_KIB = 48 * 1024;
    static final double RSS_MARGIN_SHARE = 0.25;
    /** Pass rule: the live heap (after a full GC) may end this much above before (the larger of the two). */
    static final double LIVE_HEAP_MARGIN_MIB = 8;
    static final double LIVE_HEAP_MARGIN_SHARE = 0.25;

    /**
     * Netty's own log (java.util.logging here) at WARNING: at INFO it logs every DATA frame that arrives for a
     * stream the soak reset, which is the soak working as meant. Held so that the setting is not collected.
     */
    private static final java.util.logging.Logger NETTY_LOG = java.util.logging.Logger.getLogger("io.netty");

    private final Options o;
    private final Path logs;
    private final Servers servers;
    private final SoakTally warmupTally = new SoakTally();
    private final SoakTally tally = new SoakTally();
    private final List<SoakReport.Sample> samples = Collections.synchronizedList(new ArrayList<>());
    private final List<String> events = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Idle connections Portico closed before the soak closed them. */
    private final AtomicLong idleClosed = new AtomicLong();
    private final long t0 = System.nanoTime();
    private volatile Daemon backend;
    private volatile Daemon portico;
    private volatile String phase = "start";
    /** A restart is under way, or ended less than 5 s ago (nanoTime), for the steady / around-restart split. */
    private volatile boolean restarting;
    private volatile long restartSettlesAt;
    /** When the last call that ended OK ended (nanoTime). */
    private volatile long lastOk;
    private EventLoopGroup group;
    private Bootstrap bootstrap;
    private final SoakH2Connection[] h2 = new SoakH2Connection[H2_CONNECTIONS];
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Soak(Options o) throws IOException {
        this.o = o;
        this.logs = o.results().resolve("logs");
        this.servers = new Servers(o, logs);
    }

    static int main(Options o) throws Exception {
        NETTY_LOG.setLevel(java.util.logging.Level.WARNING);
        return new Soak(o).run();
    }

    private int run() throws Exception {
        Files.createDirectories(logs);
        servers.requireFreePorts();
        final Instant started = Instant.now();
        final List<String> general = Conditions.collect(o);
        final List<String> conditions = new ArrayList<>(List.of(
                general.get(1),
                "Pinning (taskset): backend and Portico on CPU " + o.serverCpu() + ", the soak's client on CPU "
                + o.loadCpu() + "; other users of the machine are not pinned away (see the load average).",
                "Portico: " + o.porticoBuild() + "; started as `bin/portico --config FILE` (its launcher's JVM "
                + "settings); the config sets only the listen, admin and upstream addresses: every other setting "
                + "is Portico's default. Ports: backend " + o.backendPort() + ", Portico " + o.porticoPort()
                + ", admin " + o.adminPort() + ".",
                general.get(4), general.get(5),
                String.format("Load: %d lanes at %d calls/s in all (paced; fewer when the machine cannot keep up), "
                              + "%d slow-reader lanes, %d idle connections, %d h2c connections shared by the lanes.",
                              MIXED_LANES, RATE, SLOW_LANES, IDLE_CONNECTIONS, H2_CONNECTIONS)));
        Runtime.getRuntime().addShutdownHook(new Thread(servers::close, "soak-cleanup"));
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true).option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000);
        final SoakReport.Result result = new SoakReport.Result();
        try {
            backend = servers.startBackend();
            portico = servers.startPortico("soak", false);
            final Thread sampler = startSampler();
            awaitReady();

            phase = "warm-up";
            log("== warm-up: " + WARMUP_SECONDS + " s of the mix without faults");
            runLanes(WARMUP_SECONDS, false);
            closeClientConnections();
            Thread.sleep(5000);
            fullGc();
            result.before = sample("before");
            log("   before: " + result.before);

            phase = "soak";
            log("== soak: " + o.soakSeconds() + " s with faults");
            final List<Channel> idle = openIdleConnections(result);
            final Thread restarts = startRestarts(o.soakSeconds());
            runLanes(o.soakSeconds(), true);
            restarts.join(120_000);

            phase = "after";
            log("== after: final calls, then every connection closed");
            result.probes = finalCalls();
            result.idleClosedByPortico = idleClosed.get();
            idle.forEach(Channel::close);
            closeClientConnections();
            result.after = settle(result.before);
            log("   after: " + result.after);
            result.callsActiveAfter = Math.round(sum(metrics(), "portico_calls_active", ""));
            sampler.interrupt();
            sampler.join(10_000);
            result.porticoAlive = portico.alive();
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
            servers.close();
        }
        conditions.add("Soak took " + Duration.between(started, Instant.now()).toSeconds() + " s; load average "
                       + "after: " + Files.readString(Path.of("/proc/loadavg")).trim() + ".");
        result.events = List.copyOf(events);
        result.samples = List.copyOf(samples);
        final boolean passed = SoakReport.write(o, conditions, warmupTally, tally, result);
        System.err.println(passed ? "soak: all checks passed; report in " + o.results()
                                  : "soak: FAILED; see " + o.results().resolve("results.md"));
        return passed ? 0 : 1;
    }

    // ---------------------------------------------------------------- lanes

    /**
     * Runs the mixed lanes (and, with faults, the slow-reader lanes) for {@code seconds}, then waits for
     * their last calls (each bounded by {@link #CALL_BOUND_SECONDS}).
     */
    private void runLanes(int seconds, boolean faults) throws InterruptedException {
        final long end = System.nanoTime() + seconds * 1_000_000_000L;
        final List<Thread> lanes = new ArrayList<>();
        for (int i = 0; i < MIXED_LANES + (faults ? SLOW_LANES : 0); i++) {
            final int lane = i;
            final boolean slow = lane >= MIXED_LANES;
            final Thread thread = new Thread(() -> lane(lane, slow, faults, end), "soak-lane-" + lane);
            thread.setDaemon(true);
            thread.start();
            lanes.add(thread);
        }
        for (Thread lane : lanes) {
            lane.join((seconds + CALL_BOUND_SECONDS + 30) * 1000L);
        }
    }

    private void lane(int lane, boolean slow, boolean faults, long end) {
        final Random random = new Random(lane * 7919L + (faults ? 1 : 0));
        final long interval = 1_000_000_000L * MIXED_LANES / RATE;
        long next = System.nanoTime();
        SoakHttp1Connection http1 = null;
        try {
            while (System.nanoTime() < end) {
                final SoakCall call = slow ? slowCall(random) : mixedCall(random, faults);
                if (call.kind().transport == SoakCall.Transport.HTTP1 && (http1 == null || !http1.usable())) {
                    http1 = SoakHttp1Connection.open(bootstrap, o.porticoPort(), slow);
                }
                call(call, http1, lane);
                // A slow read that fails fast (backend down) must not turn its lane into a busy loop.
                next = Math.max(System.nanoTime(), next + (slow ? 1_000_000_000L : interval));
                TimeUnit.NANOSECONDS.sleep(next - System.nanoTime());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (http1 != null) {
                http1.close();
            }
        }
    }

    /** One call, start to end; recorded in the tally. */
    private Ending call(SoakCall call, SoakConnection http1, int lane) throws InterruptedException {
        final long start = System.nanoTime();
        inFlight.incrementAndGet();
        Ending ending;
        try {
            final SoakConnection connection = call.kind().transport == SoakCall.Transport.HTTP1 ? http1
                    : h2Connection(lane % H2_CONNECTIONS);
            final CompletableFuture<Ending> future = connection == null
                    ? CompletableFuture.completedFuture(Ending.of(Ending.Kind.NOT_SENT, "connect failed",
                                                                  call.kind().transport.name()))
                    : connection.start(call, o.porticoPort(), CALL_BOUND_SECONDS);
            // The handlers' own watchdog ends a call at the bound; this only guards against a lost event.
            ending = future.get(CALL_BOUND_SECONDS + 15, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            ending = Ending.of(Ending.Kind.STUCK, "no end reported", "the client's watchdog did not fire");
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            ending = Ending.of(Ending.Kind.NOT_SENT, "client error", String.valueOf(e));
        } finally {
            inFlight.decrementAndGet();
        }
        final boolean aroundRestart = restarting || System.nanoTime() < restartSettlesAt;
        if ("OK".equals(ending.code())) {
            lastOk = System.nanoTime();
        }
        ("warm-up".equals(phase) ? warmupTally : tally)
                .record(call, ending, aroundRestart, seconds(), (System.nanoTime() - start) / 1_000_000);
        return ending;
    }

    private synchronized SoakH2Connection h2Connection(int slot) throws InterruptedException {
        if (h2[slot] == null || !h2[slot].usable()) {
            if (h2[slot] != null) {
                h2[slot].close();   // GOAWAY seen: its streams finish, new ones go to a new connection
            }
            h2[slot] = SoakH2Connection.open(bootstrap, o.porticoPort());
        }
        return h2[slot];
    }

    private static SoakCall mixedCall(Random random, boolean faults) {
        final SoakCall.Kind[] kinds = SoakCall.Kind.values();
        final SoakCall.Kind kind = kinds[random.nextInt(kinds.length)];
        final int roll = random.nextInt(100);
        SoakCall.Fault fault = SoakCall.Fault.NONE;
        if (faults && kind.streaming) {
            fault = roll < 6 ? SoakCall.Fault.DEADLINE : roll < 12 ? SoakCall.Fault.RESET_EARLY
                    : roll < 24 ? SoakCall.Fault.CANCEL_MID_STREAM : SoakCall.Fault.NONE;
        } else if (faults) {
            fault = roll < 6 ? SoakCall.Fault.ERROR_STATUS : roll < 12 ? SoakCall.Fault.RESET_EARLY
                    : SoakCall.Fault.NONE;
        }
        final int size = random.nextInt(100);
        return new SoakCall(kind, fault, size < 80 ? 100 : size < 95 ? 4096 : 65536);
    }

    private static SoakCall slowCall(Random random) {
        final List<SoakCall.Kind> kinds = SoakCall.Kind.STREAMING;
        return new SoakCall(kinds.get(random.nextInt(kinds.size())), SoakCall.Fault.SLOW_READER, 0);
    }

    private synchronized void closeClientConnections() throws InterruptedException {
        for (int i = 0; i < h2.length; i++) {
            if (h2[i] != null) {
                h2[i].close();
                h2[i].channel().closeFuture().await(5, TimeUnit.SECONDS);
                h2[i] = null;
            }
        }
    }

    // ---------------------------------------------------------------- faults besides the calls' own

    /**
     * Opens the idle connections and leaves them: a third send nothing at all (a browser's preconnect), a
     * third exchange HTTP/2 SETTINGS and open no stream, a third make one HTTP/1.1 call and then sit in
     * keep-alive. Portico may close them (an idle timeout); how many it closed is reported.
     */
    private List<Channel> openIdleConnections(SoakReport.Result result) throws Exception {
        final List<Channel> idle = new ArrayList<>();
        final Bootstrap silent = bootstrap.clone().handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                // Reads and drops whatever arrives (nothing should: it never asks).
                ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ReferenceCountUtil.release(msg);
                    }
                });
            }
        });
        for (int i = 0; i < IDLE_CONNECTIONS; i++) {
            Channel channel = null;
            switch (i % 3) {
                case 0 -> channel = SoakConnection.connect(silent, o.porticoPort());
                case 1 -> {
                    final SoakH2Connection c = SoakH2Connection.open(bootstrap, o.porticoPort());
                    channel = c == null ? null : c.channel();
                }
                default -> {
                    final SoakHttp1Connection c = SoakHttp1Connection.open(bootstrap, o.porticoPort(), false);
                    if (c != null) {
                        final Ending first = c.start(new SoakCall(SoakCall.Kind.WEB_UNARY_HTTP1, SoakCall.Fault.NONE,
                                                                  100), o.porticoPort(), CALL_BOUND_SECONDS)
                                .get(CALL_BOUND_SECONDS + 15, TimeUnit.SECONDS);
                        if (!"OK".equals(first.code())) {
                            event("an idle HTTP/1.1 connection's first call ended " + SoakTally.label(first));
                        }
                        channel = c.channel();
                    }
                }
            }
            if (channel != null) {
                final double opened = seconds();
                channel.closeFuture().addListener(f -> {
                    if (!"after".equals(phase) && idleClosed.incrementAndGet() == 1) {
                        event(String.format("Portico closed an idle connection (opened at %.0f s), the first "
                                            + "to be closed", opened));
                    }
                });
                idle.add(channel);
            }
        }
        result.idleOpened = idle.size();
        event("opened " + idle.size() + " idle connections (of " + IDLE_CONNECTIONS + ")");
        return idle;
    }

    /**
     * Restarts the backend on the same port, evenly over the soak: at least twice, one more per 90 s beyond
     * three minutes, alternating SIGTERM (grpc-java's shutdownNow: streams reset, GOAWAY) and SIGKILL (the
     * connection just drops), each down for 2 s before the new process starts.
     */
    private Thread startRestarts(int soakSeconds) {
        final int count = Math.max(2, soakSeconds / 90);
        final Thread thread = new Thread(() -> {
            final long begin = System.nanoTime();
            final long end = begin + soakSeconds * 1_000_000_000L;
            try {
                for (int i = 1; i <= count; i++) {
                    final long at = begin + (long) (soakSeconds * 1e9 * i / (count + 1));
                    if (at > end - 15_000_000_000L) {
                        event("restart " + i + " of " + count + " skipped: the previous one ran too long");
                        break;
                    }
                    TimeUnit.NANOSECONDS.sleep(Math.max(0, at - System.nanoTime()));
                    final boolean kill = i % 2 == 0;
                    restarting = true;
                    event("backend " + (kill ? "SIGKILL" : "SIGTERM") + " (restart " + i + " of " + count + ")");
                    final long stopping = System.nanoTime();
                    if (kill) {
                        servers.kill(backend);
                    } else {
                        servers.stop(backend);
                    }
                    event(String.format("backend gone after %.1f s; a new one starts in 2 s",
                                        (System.nanoTime() - stopping) / 1e9));
                    Thread.sleep(2000);
                    backend = servers.startBackend();
                    final long up = System.nanoTime();
                    event("backend up again (pid " + backend.pid + ")");
                    // How long Portico takes to use the new backend: bounded by the load's end. The restart
                    // window lasts until then, and 5 s more for the calls that started before.
                    final long waitUntil = Math.min(up + 60_000_000_000L, end);
                    while (lastOk < up && System.nanoTime() < waitUntil) {
                        Thread.sleep(100);
                    }
                    restartSettlesAt = System.nanoTime() + 5_000_000_000L;
                    restarting = false;
                    event(lastOk >= up ? String.format("first OK call through Portico %.1f s after the new backend "
                                                       + "answered", (lastOk - up) / 1e9)
                                       : String.format("no OK call through Portico in the %.0f s between the new "
                                                       + "backend answering and the end of the load",
                                                       (waitUntil - up) / 1e9));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException | RuntimeException e) {
                event("backend restart failed: " + e);
            }
        }, "soak-restarts");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** Waits (at most 60 s) until Portico's /readyz says an upstream endpoint is healthy. */
    private void awaitReady() throws InterruptedException {
        final long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + o.adminPort() + "/readyz"))
                                      .timeout(Duration.ofSeconds(2)).build(),
                              HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not answering yet: asked again below
            }
            Thread.sleep(200);
        }
        event("Portico was not ready (/readyz) within 60 s; the warm-up starts anyway");
    }

    // ---------------------------------------------------------------- after

    /**
     * One plain call of every kind on fresh connections once Portico is ready: Portico must still serve each
     * of them. A call answered UNAVAILABLE is made again (at most 5 times, 2 s apart): Portico's health
     * checks may hold the just-restarted backend out for a few seconds, which is not what this asks.
     */
    private List<String> finalCalls() throws Exception {
        awaitReady();
        final List<String> lines = new ArrayList<>();
        for (SoakCall.Kind kind : SoakCall.Kind.values()) {
            Ending ending = null;
            int attempt = 0;
            while (attempt++ < 5 && (ending == null || "UNAVAILABLE".equals(ending.code()))) {
                if (ending != null) {
                    Thread.sleep(2000);
                }
                ending = finalCall(new SoakCall(kind, SoakCall.Fault.NONE, 100));
            }
            lines.add(kind.label + ": " + SoakTally.label(ending) + " (" + ending.detail()
                      + (attempt > 2 ? "; attempt " + (attempt - 1) : "") + ")");
        }
        return lines;
    }

    private Ending finalCall(SoakCall call) throws Exception {
        final SoakConnection c = call.kind().transport == SoakCall.Transport.HTTP1
                ? SoakHttp1Connection.open(bootstrap, o.porticoPort(), false) : h2Connection(0);
        final Ending ending = c == null ? Ending.of(Ending.Kind.NOT_SENT, "connect failed", "")
                : c.start(call, o.porticoPort(), 30).get(45, TimeUnit.SECONDS);
        if (c != null && call.kind().transport == SoakCall.Transport.HTTP1) {
            c.close();
        }
        return ending;
    }

    /**
     * A full GC in Portico (jcmd GC.run), so that the heap used read just after is the live heap: comparing
     * it before and after the soak finds objects the soak left behind, which RSS (the heap never shrinks
     * back) cannot.
     */
    private void fullGc() throws IOException, InterruptedException {
        final Process jcmd = new ProcessBuilder("jcmd", String.valueOf(portico.pid), "GC.run")
                .redirectErrorStream(true).redirectOutput(logs.resolve("jcmd.log").toFile()).start();
        if (!jcmd.waitFor(60, TimeUnit.SECONDS) || jcmd.exitValue() != 0) {
            jcmd.destroyForcibly();
            event("jcmd GC.run did not succeed (logs/jcmd.log): the heap figures are not after a GC");
        }
    }

    /**
     * Waits (at most 30 s, at least 5) for Portico to let go of the connections, then samples it: the fds
     * come back as soon as Portico has seen every close.
     */
    private SoakReport.Sample settle(SoakReport.Sample before) throws IOException, InterruptedException {
        final long deadline = System.nanoTime() + 30_000_000_000L;
        Thread.sleep(5000);
        while (portico.openFds() > before.fds() + FD_MARGIN && System.nanoTime() < deadline) {
            Thread.sleep(1000);
        }
        fullGc();
        return sample("after");
    }

    /** Portico's Prometheus scrape from its admin port, or "" (with an event) when it does not answer. */
    private String metrics() {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + o.adminPort() + "/metrics"))
                                     .timeout(Duration.ofSeconds(5)).build(),
                             HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            event("could not read Portico's metrics: " + e);
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /**
     * The sum of the samples of {@code metric} whose labels contain {@code label} ("" for all) in a
     * Prometheus scrape, or -1 when there is none.
     */
    static double sum(String scrape, String metric, String label) {
        double sum = 0;
        boolean found = false;
        for (String line : scrape.split("\n")) {
            if ((line.startsWith(metric + "{") || line.startsWith(metric + " ")) && line.contains(label)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                found = true;
            }
        }
        return found ? sum : -1;
    }

    // ---------------------------------------------------------------- sampling

    private Thread startSampler() {
        final Thread thread = new Thread(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    samples.add(sample(phase));
                    Thread.sleep(SAMPLE_SECONDS * 1000L);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                event("sampling stopped: " + e + (portico.alive() ? "" : " (Portico exited)"));
            }
        }, "soak-sampler");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /**
     * Portico's RSS, fds and threads from /proc, and from its own metrics the JVM heap (used, committed), the
     * committed non-heap (metaspace, code cache) and the Netty allocator's direct memory: most of the RSS.
     */
    private SoakReport.Sample sample(String label) throws IOException {
        final String scrape = metrics();
        return new SoakReport.Sample(seconds(), label, portico.rssKiB(), portico.openFds(), portico.threads(),
                                     mib(sum(scrape, "jvm_memory_used_bytes", "area=\"heap\"")),
                                     mib(sum(scrape, "jvm_memory_committed_bytes", "area=\"heap\"")),
                                     mib(sum(scrape, "jvm_memory_committed_bytes", "area=\"nonheap\"")),
                                     mib(sum(scrape, "netty_allocator_memory_used", "memory_type=\"direct\"")),
                                     inFlight.get(), tally.sent(),
                                     tally.count(Ending.Kind.NO_STATUS) + tally.count(Ending.Kind.STUCK));
    }

    private static double mib(double bytes) {
        return bytes < 0 ? -1 : bytes / (1 << 20);
    }

    private double seconds() {
        return (System.nanoTime() - t0) / 1e9;
    }

    private void event(String what) {
        final String line = String.format("t=%.1f s: %s", seconds(), what);
        events.add(line);
        log("   " + line);
    }

    private static void log(String line) {
        System.err.println(line);
    }
}
