package dev.portico.loadtest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One reading of /proc/stat for two CPUs: how busy each core was between two readings, whoever used it.
 * Subtracting the servers' own CPU time from the server core's busy time shows how much other work
 * (other users of this shared machine) ran on it during a measurement.
 */
record CpuStat(long[] busy, long[] tasks, long[] total) {

    static CpuStat read(int... cpus) throws IOException {
        final long[] busy = new long[cpus.length];
        final long[] tasks = new long[cpus.length];
        final long[] total = new long[cpus.length];
        for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
            for (int i = 0; i < cpus.length; i++) {
                if (line.startsWith("cpu" + cpus[i] + " ")) {
                    final String[] f = line.trim().split("\\s+");
                    long sum = 0;
                    for (int k = 1; k < Math.min(f.length, 9); k++) {   // user..steal; guest is inside user
                        sum += Long.parseLong(f[k]);
                    }
                    final long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);   // idle + iowait
                    busy[i] = sum - idle;
                    // user + nice + system + steal: what processes (or the hypervisor) took. Interrupt and
                    // softirq time is left out: on the server CPU it is mostly our own loopback traffic.
                    tasks[i] = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3])
                               + (f.length > 8 ? Long.parseLong(f[8]) : 0);
                    total[i] = sum;
                }
            }
        }
        return new CpuStat(busy, tasks, total);
    }

    /** Busy fraction (0..1) of CPU index {@code i} between {@code before} and this reading. */
    double busySince(CpuStat before, int i) {
        final long t = total[i] - before.total[i];
        return t <= 0 ? 0 : (busy[i] - before.busy[i]) / (double) t;
    }

    /** CPU-seconds that processes (and steal) took on CPU index {@code i} between the two readings. */
    double taskSecondsSince(CpuStat before, int i) {
        return (tasks[i] - before.tasks[i]) / (double) Daemon.TICKS_PER_SECOND;
    }
}
