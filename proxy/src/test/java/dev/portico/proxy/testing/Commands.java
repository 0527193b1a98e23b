package dev.portico.proxy.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a command to its end, as a script or a container's health check would be run. */
public final class Commands {
    private Commands() {}

    /** How a command ended: its exit status and everything it wrote (stdout and stderr together). */
    public record Result(int exitCode, String output) {}

    /**
     * Runs {@code command} with {@code env} added to this process's environment; fails the test if it has not
     * ended within {@code timeout} (it is then killed).
     */
    public static Result run(List<String> command, Map<String, String> env, Duration timeout)
            throws IOException, InterruptedException {
        // Output to a file, not a pipe: reading a pipe to its end would wait for ever on a command that hangs.
        final Path output = Files.createTempFile("portico-command", ".log");
        try {
            final ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(output.toFile());
            builder.environment().putAll(env);
            final Process process = builder.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(command + " did not end within " + timeout + "; output:\n"
                                         + Files.readString(output, StandardCharsets.UTF_8));
            }
            return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } finally {
            Files.delete(output);
        }
    }
}
