package dev.portico.loadtest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A server process the runner started (the backend or Portico), with what /proc says about it. The runner
 * stops only the processes it started, by their own PID.
 */
final class Daemon implements AutoCloseable {
    /** USER_HZ: the unit of utime and stime in /proc/PID/stat; 100 on every Linux the kit targets. */
    static final long TICKS_PER_SECOND = 100;

    final String name;
    final long pid;
    final Path log;
    /** System.nanoTime() just before the process was launched. */
    final long launchedNanos;
    /** Portico only (-1 otherwise): milliseconds from launch until its front port accepted a connection. */
    long listeningMillis = -1;
    /** Portico only (-1 otherwise): milliseconds from launch until its admin /readyz answered 200. */
    long readyMillis = -1;
    private final Process process;
    /** Per thread id, the counters below as last seen: a thread that ended keeps its count in the sums. */
    private final Map<String, Long> compilerTicksByThread = new HashMap<>();
    private final Map<String, Long> contextSwitchesByThread = new HashMap<>();

    private Daemon(String name, Process process, Path log, long launchedNanos) {
        this.name = name;
        this.process = process;
        this.pid = process.pid();
        this.log = log;
        this.launchedNanos = launchedNanos;
    }

    /** Starts {@code command} with stdout and stderr appended to {@code log}. */
    static Daemon start(String name, List<String> command, Path log, Path pidFile) throws IOException {
        final long launched = System.nanoTime();
        final Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        final Daemon daemon = new Daemon(name, process, log, launched);
        // run.sh kills what is listed here if the runner itself dies.
        Files.writeString(pidFile, daemon.pid + "\n", StandardCharsets.US_ASCII,
                          java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        return daemon;
    }

    long millisSinceLaunch() {
        return (System.nanoTime() - launchedNanos) / 1_000_000;
    }

    boolean alive() {
        return process.isAlive();
    }

    /** User plus system CPU time so far, in seconds. */
    double cpuSeconds() throws IOException {
        return cpuTicks(Path.of("/proc/" + pid + "/stat")) / (double) TICKS_PER_SECOND;
    }

    /** utime + stime from a /proc stat file (the process's or one thread's). */
    private static long cpuTicks(Path stat) throws IOException {
        final String line = Files.readString(stat);
        // Fields after the parenthesised command name; utime and stime are fields 14 and 15 of the line.
        final String[] fields = line.substring(line.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    /**
     * Voluntary plus involuntary context switches of all the process's threads so far (each thread that
     * hands work to another and sleeps costs one or more): a cross-thread hop per message shows up here.
     */
    long contextSwitches() throws IOException {
        return sumOverThreads(Daemon::contextSwitches, contextSwitchesByThread);
    }

    private static long contextSwitches(Path task) throws IOException {
        long switches = 0;
        for (String line : Files.readAllLines(task.resolve("status"))) {
            if (line.startsWith("voluntary_ctxt_switches:") || line.startsWith("nonvoluntary_ctxt_switches:")) {
                switches += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
        }
        return switches;
    }

    /**
     * CPU time so far of the JVM's JIT compiler threads (C1 and C2), in seconds. A JVM that still compiles
     * is not warm: on a machine where the JVM shares one core with the backend, C2 can take a third of
     * that core for half a minute after the call rate already looks flat.
     */
    double compilerSeconds() throws IOException {
        return sumOverThreads(Daemon::compilerTicks, compilerTicksByThread) / (double) TICKS_PER_SECOND;
    }

    private static long compilerTicks(Path task) throws IOException {
        final String name = Files.readString(task.resolve("comm"));
        return name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre")
               ? cpuTicks(task.resolve("stat")) : 0;
    }

    private interface PerThread {
        long read(Path task) throws IOException;
    }

    /**
     * Sums {@code perThread}, a counter that only grows while its thread lives, over the process's threads,
     * each thread that has ended (the JVM retires idle compiler threads) at the value it was last seen with
     * in {@code lastSeen}: the sum never goes back, so a difference of two sums is never negative.
     */
    private synchronized long sumOverThreads(PerThread perThread, Map<String, Long> lastSeen)
            throws IOException {
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    lastSeen.put(task.getFileName().toString(), perThread.read(task));
                } catch (NoSuchFileException e) {
                    // The thread ended while the threads were listed: it keeps the value it was last seen with.
                }
            }
        }
        return lastSeen.values().stream().mapToLong(Long::longValue).sum();
    }

    int threads() throws IOException {
        return (int) statusNumber("Threads:");
    }

    long rssKiB() throws IOException {
        return statusNumber("VmRSS:");
    }

    /** Peak RSS since start or since the last {@link #resetPeakRss()}. */
    long peakRssKiB() throws IOException {
        return statusNumber("VmHWM:");
    }

    /** Resets VmHWM to the current RSS (proc(5): writing 5 to clear_refs); false where not permitted. */
    boolean resetPeakRss() {
        try {
            Files.writeString(Path.of("/proc/" + pid + "/clear_refs"), "5");
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Open file descriptors (sockets included): the entries of /proc/PID/fd. */
    long openFds() throws IOException {
        try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return fds.count();
        }
    }

    private long statusNumber(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
            }
        }
        throw new IOException(field + " missing from /proc/" + pid + "/status");
    }

    /** SIGKILL, and wait (at most 10 s) until the process is gone. */
    void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** SIGTERM, then SIGKILL after 15 s. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
