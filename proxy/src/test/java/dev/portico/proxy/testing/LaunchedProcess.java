package dev.portico.proxy.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bin/portico ARGS} in a process of its own, as the Docker image and Compose run it, with its output
 * in a file: for the tests of the packaged jar (it must have been built: {@code mvn package}).
 * {@link #close()} stops it with SIGTERM, as {@code docker stop} does, and kills it if it does not end.
 */
public final class LaunchedProcess implements AutoCloseable {
    private static final Path LAUNCHER = DeployFiles.path("bin/portico");

    private final Process process;
    private final Path log;

    private LaunchedProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /**
     * Starts {@code bin/portico args} with the JDK running the tests as {@code java}, Netty's leak detector at
     * paranoid, and its output in a file under {@code dir}.
     */
    public static LaunchedProcess start(List<String> args, Path dir) throws IOException {
        final List<String> command = new ArrayList<>(List.of(LAUNCHER.toString()));
        command.addAll(args);
        final Path log = dir.resolve("portico-" + System.nanoTime() + ".log");
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().put("JAVA_TOOL_OPTIONS", "-Dio.netty.leakDetection.level=paranoid");
        builder.environment().put("PATH", Path.of(System.getProperty("java.home"), "bin") + ":"
                                          + System.getenv("PATH"));
        return new LaunchedProcess(builder.start(), log);
    }

    public String output() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    /**
     * Waits up to 30 s for output matching {@code pattern} and returns its first group; fails if the process
     * ends first.
     */
    public String await(Pattern pattern) throws IOException, InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            final Matcher matcher = pattern.matcher(output());
            if (matcher.find()) {
                return matcher.group(1);
            }
            assertThat(process.isAlive()).as("still running; output:%n%s", output()).isTrue();
            Thread.sleep(50);
        }
        throw new AssertionError("no " + pattern + " within 30 s:\n" + output());
    }

    /** Sends SIGTERM and waits up to {@code timeout} for the exit status. */
    public int stop(Duration timeout) throws InterruptedException, IOException {
        process.destroy();
        return awaitExit(timeout);
    }

    /** Waits up to {@code timeout} for the process to end by itself; returns its exit status. */
    public int awaitExit(Duration timeout) throws InterruptedException, IOException {
        assertThat(process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS))
                .as("ended within %s; output:%n%s", timeout, output()).isTrue();
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
