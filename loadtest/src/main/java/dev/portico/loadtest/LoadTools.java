package dev.portico.loadtest;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the load generators, each under {@code timeout} and pinned with {@code taskset} to the load core,
 * and reads their counts back: h2load (HTTP/2: native gRPC, gRPC-Web over h2c and TLS) and wrk with
 * wrk/grpc-web.lua (gRPC-Web over HTTP/1.1 keep-alive).
 */
final class LoadTools {
    private static final Pattern FINISHED = Pattern.compile("finished in ([\\d.]+)(us|ms|s),");
    private static final Pattern REQUESTS = Pattern.compile(
            "requests: (\\d+) total, (\\d+) started, (\\d+) done, (\\d+) succeeded, (\\d+) failed, (\\d+) errored, "
            + "(\\d+) timeout");
    private static final Pattern STATUS = Pattern.compile("status codes: (\\d+) 2xx, (\\d+) 3xx, (\\d+) 4xx, (\\d+) 5xx");
    private static final Pattern DATA = Pattern.compile("traffic: .*\\((\\d+)\\) data");
    private static final Pattern WRK = Pattern.compile(
            "WRK_RESULT requests=(\\d+) duration_us=(\\d+) bytes=(\\d+) connect_errors=(\\d+) read_errors=(\\d+) "
            + "write_errors=(\\d+) status_errors=(\\d+) timeouts=(\\d+) p50_us=(\\d+) p99_us=(\\d+)");

    private LoadTools() {}

    /**
     * What a tool counted. {@code ok} is the calls the tool saw answered with HTTP 2xx; {@code problems} is
     * everything the tool itself counted as wrong (failed, errored, timed out, non-2xx, socket errors).
     * Latencies are -1 when not measured.
     */
    record Result(String tool, long started, long ok, long problems, String problemDetail, double seconds,
                  long dataBytes, long p50us, long p99us, long latencyRows, long latencyNot200) {
        double rate() {
            return ok / seconds;
        }
    }

    /** A tool started in the background (the open-streams scenario). */
    static final class Running {
        private final String tool;
        private final Process process;
        private final Path output;
        private final long timeoutSeconds;
        private final Path latencyLog;

        private Running(String tool, Process process, Path output, long timeoutSeconds, Path latencyLog) {
            this.tool = tool;
            this.process = process;
            this.output = output;
            this.timeoutSeconds = timeoutSeconds;
            this.latencyLog = latencyLog;
        }

        boolean alive() {
            return process.isAlive();
        }

        Result finish() throws IOException, InterruptedException {
            if (!process.waitFor(timeoutSeconds + 15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new CheckFailed(tool + " did not stop");
            }
            final String out = Files.readString(output, StandardCharsets.UTF_8);
            final int exit = process.exitValue();
            if (exit == 124 || exit == 137) {
                throw new CheckFailed(tool + " hit its " + timeoutSeconds + " s time limit (see " + output.getFileName()
                                      + ")");
            }
            if (exit != 0) {
                throw new CheckFailed(tool + " exited " + exit + ": " + lastLines(out, 3));
            }
            return tool.equals("wrk") ? parseWrk(out) : parseH2load(out, latencyLog);
        }
    }

    /**
     * Starts h2load: {@code requests} calls ({@code -n}), or for {@code durationSeconds} ({@code -D}) when
     * requests is 0. With {@code latencyLog} it writes h2load's per-request log there for percentiles.
     */
    static Running startH2load(Options o, Scenario s, Variant v, long requests, int durationSeconds,
                               Path latencyLog, Path output, long timeoutSeconds) throws IOException {
        final List<String> cmd = new ArrayList<>(List.of(
                "timeout", "-k", "5", String.valueOf(timeoutSeconds),
                "taskset", "-c", String.valueOf(o.loadCpu()),
                "h2load", "-t", "1", "-c", String.valueOf(s.h2Connections()),
                "-m", String.valueOf(s.h2StreamsPerConnection())));
        if (requests > 0) {
            cmd.addAll(List.of("-n", String.valueOf(requests)));
        } else {
            cmd.addAll(List.of("-D", String.valueOf(durationSeconds)));
        }
        cmd.addAll(List.of("-d", o.work().resolve(s.bodyFile(v)).toString(),
                           "-H", "content-type: " + v.format.contentType));
        for (String header : v.format.headers()) {
            cmd.addAll(List.of("-H", header));
        }
        if (latencyLog != null) {
            Files.deleteIfExists(latencyLog);
            cmd.add("--log-file=" + latencyLog);
        }
        cmd.add(v.url(o, s.method()));
        return start("h2load", cmd, output, timeoutSeconds, latencyLog);
    }

    /** Runs wrk for {@code seconds} with {@code s.concurrency()} keep-alive connections. */
    static Running startWrk(Options o, Scenario s, Variant v, int seconds, Path output, long timeoutSeconds)
            throws IOException {
        final List<String> cmd = List.of(
                "timeout", "-k", "5", String.valueOf(timeoutSeconds),
                "taskset", "-c", String.valueOf(o.loadCpu()),
                "wrk", "-t", "1", "-c", String.valueOf(s.concurrency()), "-d", seconds + "s", "--timeout", "10s",
                "-s", o.luaScript().toString(), v.url(o, s.method()), "--",
                o.work().resolve(s.bodyFile(v)).toString(), v.format.contentType);
        return start("wrk", cmd, output, timeoutSeconds, null);
    }

    private static Running start(String tool, List<String> cmd, Path output, long timeoutSeconds, Path latencyLog)
            throws IOException {
        Files.writeString(output, "$ " + String.join(" ", cmd) + "\n");
        final Process process = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()))
                .start();
        return new Running(tool, process, output, timeoutSeconds, latencyLog);
    }

    static Result parseH2load(String out, Path latencyLog) throws IOException {
        final Matcher finished = find(FINISHED, out, "h2load");
        final double value = Double.parseDouble(finished.group(1));
        final double seconds = switch (finished.group(2)) {
            case "us" -> value / 1e6;
            case "ms" -> value / 1e3;
            default -> value;
        };
        final Matcher req = find(REQUESTS, out, "h2load");
        final Matcher status = find(STATUS, out, "h2load");
        final Matcher data = find(DATA, out, "h2load");
        final long started = Long.parseLong(req.group(2));
        final long done = Long.parseLong(req.group(3));
        final long succeeded = Long.parseLong(req.group(4));
        final long failed = Long.parseLong(req.group(5));
        final long errored = Long.parseLong(req.group(6));
        final long timeouts = Long.parseLong(req.group(7));
        final long ok2xx = Long.parseLong(status.group(1));
        final long non2xx = Long.parseLong(status.group(2)) + Long.parseLong(status.group(3))
                            + Long.parseLong(status.group(4));
        // A stream still in flight when -D stops has its 2xx headers counted but is not done.
        final long inFlight = started - done;
        final long problems = failed + errored + timeouts + non2xx + Math.max(0, succeeded - ok2xx)
                              + Math.max(0, ok2xx - succeeded - inFlight);
        final String detail = "done " + done + ", succeeded " + succeeded + ", failed " + failed + ", errored "
                              + errored + ", timeout " + timeouts + ", 2xx " + ok2xx + ", non-2xx " + non2xx;
        long p50 = -1;
        long p99 = -1;
        long rows = 0;
        long not200 = 0;
        if (latencyLog != null) {
            long[] micros = new long[1 << 16];
            try (BufferedReader reader = Files.newBufferedReader(latencyLog, StandardCharsets.US_ASCII)) {
                String line;
                while ((line = reader.readLine()) != null) {
                    final String[] f = line.split("\t");
                    if (f.length < 3) {
                        continue;
                    }
                    if (!f[1].equals("200")) {
                        not200++;
                    }
                    if (rows == micros.length) {
                        micros = Arrays.copyOf(micros, micros.length * 2);
                    }
                    micros[(int) rows++] = Long.parseLong(f[2]);
                }
            }
            final long[] sorted = Arrays.copyOf(micros, (int) rows);
            Arrays.sort(sorted);
            p50 = percentile(sorted, 50);
            p99 = percentile(sorted, 99);
            Files.deleteIfExists(latencyLog);   // can be tens of MB; the percentiles are what we keep
        }
        return new Result("h2load", started, succeeded, problems, detail, seconds,
                          Long.parseLong(data.group(1)), p50, p99, rows, not200);
    }

    static Result parseWrk(String out) {
        final Matcher m = find(WRK, out, "wrk");
        final long requests = Long.parseLong(m.group(1));
        final long connect = Long.parseLong(m.group(4));
        final long read = Long.parseLong(m.group(5));
        final long write = Long.parseLong(m.group(6));
        final long status = Long.parseLong(m.group(7));
        final long timeouts = Long.parseLong(m.group(8));
        final String detail = "requests " + requests + ", connect errors " + connect + ", read errors " + read
                              + ", write errors " + write + ", non-2xx/3xx " + status + ", timeouts " + timeouts;
        // wrk counts a response with status > 399 in `requests` and in `status`.
        return new Result("wrk", requests, requests - status, connect + read + write + status + timeouts, detail,
                          Long.parseLong(m.group(2)) / 1e6, Long.parseLong(m.group(3)),
                          Long.parseLong(m.group(9)), Long.parseLong(m.group(10)), -1, 0);
    }

    /** Nearest-rank percentile of a sorted array. */
    static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return -1;
        }
        final int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static Matcher find(Pattern pattern, String out, String tool) {
        final Matcher m = pattern.matcher(out);
        if (!m.find()) {
            throw new CheckFailed(tool + " printed no '" + pattern.pattern().split(" ")[0] + "' line: "
                                  + lastLines(out, 3));
        }
        return m;
    }

    private static String lastLines(String out, int n) {
        final String[] lines = out.strip().split("\n");
        return String.join(" | ", Arrays.copyOfRange(lines, Math.max(0, lines.length - n), lines.length));
    }
}
