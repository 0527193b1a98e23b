package dev.portico.loadtest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The exact conditions of a run, as lines for the report: machine, versions, pinning, method. */
final class Conditions {
    private Conditions() {}

    static List<String> collect(Options o) throws IOException, InterruptedException {
        final List<String> lines = new ArrayList<>();
        lines.add("Started " + Instant.now().truncatedTo(ChronoUnit.SECONDS) + " ("
                  + (o.quick() ? "--quick: " : "") + o.repeats() + " repetition(s) per point, about "
                  + o.seconds() + " s each, after a warm-up in 2 s chunks until the rate stops improving and the "
                  + "JIT compilers of the backend and Portico have gone quiet (under 3% of the server CPU), at most "
                  + o.warmupSeconds() + " s; a pair of runs during which other processes took more than "
                  + Math.round(o.noiseLimit() * 100) + "% of the server CPU is measured again, up to "
                  + o.noiseRetries() + " time(s)).");
        lines.add("Machine: " + cpuModel() + ", " + onlineCpus() + " CPUs online, " + memTotal() + ", Linux "
                  + Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim() + "; load average before: "
                  + Files.readString(Path.of("/proc/loadavg")).trim() + ".");
        lines.add("Pinning (taskset): backend and Portico on CPU " + o.serverCpu() + ", every load tool (and this "
                  + "runner) on CPU " + o.loadCpu() + ". Other users of the machine are not pinned away: the "
                  + "'other load on the server CPU' column shows how much of it they took.");
        lines.add("Portico: " + o.porticoBuild() + "; started as `bin/portico --config FILE` (the launcher the README and the image use, with "
                  + "its JVM settings), one fresh process per variant and one for the open-streams "
                  + "scenario; config sets only "
                  + "listen, admin and upstream addresses (and TLS for h2 over TLS), everything else default.");
        lines.add(o.cdsUsed()
                  ? "Class-data sharing: bin/portico mapped " + o.cdsArchive().getFileName() + ", the archive "
                    + "bin/portico-cds-archive made for this copy of the jar (as the Docker image does)."
                  : "Class-data sharing: none (no " + o.cdsArchive().getFileName() + " beside the jar; run.sh "
                    + "--no-cds), so every Portico loaded its classes from the jar.");
        lines.add("Backend: grpc-java " + io.grpc.internal.GrpcUtil.IMPLEMENTATION_VERSION
                  + " BenchService (loadtest/), directExecutor, default JVM settings, one process for the run.");
        lines.add("JVM: " + firstLine(o.javaBin(), "-version") + ".");
        lines.add("Load tools: " + firstLine("h2load", "--version") + " (-t 1; HTTP/2: up to 5 connections, the "
                  + "concurrency spread over them as streams), " + firstLine("wrk", "-v")
                  + " (-t 1, one keep-alive connection per call in flight, wrk/grpc-web.lua).");
        return lines;
    }

    private static String cpuModel() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
            if (line.startsWith("model name")) {
                return line.substring(line.indexOf(':') + 1).trim();
            }
        }
        return "unknown CPU";
    }

    private static long onlineCpus() throws IOException {
        return Files.readAllLines(Path.of("/proc/stat")).stream().filter(l -> l.matches("cpu\\d+ .*")).count();
    }

    private static String memTotal() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
            if (line.startsWith("MemTotal:")) {
                final long kib = Long.parseLong(line.replaceAll("\\D", ""));
                return String.format("%.0f GiB RAM", kib / 1024.0 / 1024.0);
            }
        }
        return "unknown RAM";
    }

    /** The first non-empty line a command prints (versions), or what went wrong. */
    static String firstLine(String... command) throws InterruptedException {
        try {
            final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            return out.lines().map(String::trim).filter(l -> !l.isEmpty()).findFirst().orElse("?");
        } catch (IOException e) {
            return command[0] + " not found";
        }
    }
}
