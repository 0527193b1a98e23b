package dev.portico.proxy.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.proxy.testing.Commands;
import dev.portico.proxy.testing.DeployFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code bin/portico}'s JVM settings (the launcher of the image, the README and PackagedJarIT): the heap it
 * picks from a container's memory limit, read from a cgroup file system laid out in a temporary directory,
 * with a stand-in {@code java} that prints what it is given.
 */
class LauncherTest {
    /** The options that size memory; the launcher may add others (GC, code cache, class data sharing). */
    private static final Pattern MEMORY_OPTION =
            Pattern.compile("-Xmx.*|-Xms.*|-XX:Max.*RAM.*|-XX:MaxDirectMemorySize=.*"
                            + "|-Dio.netty.allocator.lowMemory=.*");

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource(delimiter = '|', textBlock = """
            none  |                     | -Xmx128m -Dio.netty.allocator.lowMemory=false
            v2    | max                 | -Xmx128m -Dio.netty.allocator.lowMemory=false
            v2    | 536870912           | -Xmx256m -XX:MaxDirectMemorySize=128m -Dio.netty.allocator.lowMemory=false
            v2    | 268435456           | -Xmx128m -XX:MaxDirectMemorySize=64m
            v2    | 100000000           | -Xmx64m -XX:MaxDirectMemorySize=23m
            v2    | 17179869184         | -Xmx1024m -XX:MaxDirectMemorySize=4096m -Dio.netty.allocator.lowMemory=false
            v1    | 9223372036854771712 | -Xmx128m -Dio.netty.allocator.lowMemory=false
            v1    | 1073741824          | -Xmx512m -XX:MaxDirectMemorySize=256m -Dio.netty.allocator.lowMemory=false
            """)
    void theHeapIsHalfTheContainersMemoryLimitBetween64MiBAnd1GiBAnd128MiBWithoutALimit(
            String cgroup, String limit, String heap) throws Exception {
        final Path root = cgroupRoot(cgroup, limit);
        final List<String> arguments = launch(Map.of("PORTICO_CGROUP_ROOT", root.toString()),
                                              List.of("--config", "p.conf"));
        final List<String> jvmOptions = arguments.subList(0, arguments.indexOf("-jar"));
        assertThat(jvmOptions.stream().filter(o -> MEMORY_OPTION.matcher(o).matches()))
                .containsExactly(heap.split(" "));
        assertThat(jvmOptions).as("the collector Portico is measured with").contains("-XX:+UseSerialGC");
        assertThat(arguments.subList(jvmOptions.size(), arguments.size()))
                .containsExactly("-jar", "/opt/portico/portico.jar", "--config", "p.conf");
    }

    @Test
    void portico_jvm_optsReplacesTheJvmSettings() throws Exception {
        final Path root = cgroupRoot("v2", "536870912");
        final Map<String, String> env =
                Map.of("PORTICO_CGROUP_ROOT", root.toString(), "PORTICO_JVM_OPTS", "-Xmx300m -XX:+UseG1GC");
        assertThat(launch(env, List.of("demo-backend")))
                .containsExactly("-Xmx300m", "-XX:+UseG1GC", "-jar", "/opt/portico/portico.jar",
                                 "demo-backend");
    }

    @Test
    void theJvmTakesTheSettingsTheLauncherPicks() throws Exception {
        final Path root = cgroupRoot("v2", "536870912");
        final List<String> arguments = launch(Map.of("PORTICO_CGROUP_ROOT", root.toString()), List.of());
        final List<String> command = new ArrayList<>(List.of(javaOfThisJvm()));
        command.addAll(arguments.subList(0, arguments.indexOf("-jar")));
        command.addAll(List.of("-XX:+PrintFlagsFinal", "-version"));
        final String flags = Commands.run(command, Map.of(), Duration.ofSeconds(60)).output();
        assertThat(flag(flags, "MaxHeapSize")).isEqualTo(256L << 20);
        assertThat(flag(flags, "MaxDirectMemorySize")).isEqualTo(128L << 20);
        assertThat(flag(flags, "UseSerialGC")).isEqualTo(1);
    }

    @Test
    void glibcKeepsTwoMallocArenasUnlessTheEnvironmentSaysOtherwise() throws Exception {
        assertThat(mallocArenaMaxSeenByJava(Map.of())).isEqualTo("2");
        assertThat(mallocArenaMaxSeenByJava(Map.of("MALLOC_ARENA_MAX", "4"))).isEqualTo("4");
    }

    /** What {@code MALLOC_ARENA_MAX} the JVM that {@code bin/portico} starts runs with. */
    private String mallocArenaMaxSeenByJava(Map<String, String> extraEnv) throws Exception {
        return runWithFakeJava("printf '%s\\n' \"$MALLOC_ARENA_MAX\"", extraEnv, List.of()).strip();
    }

    /** The arguments {@code bin/portico args} gives {@code java}, one per element. */
    private List<String> launch(Map<String, String> extraEnv, List<String> args) throws Exception {
        final Map<String, String> env = new HashMap<>(extraEnv);
        env.putIfAbsent("PORTICO_JVM_OPTS", "");
        return runWithFakeJava("printf '%s\\n' \"$@\"", env, args).lines().toList();
    }

    /** Runs {@code bin/portico args} with a {@code java} on the PATH that runs {@code script} instead. */
    private String runWithFakeJava(String script, Map<String, String> extraEnv, List<String> args)
            throws Exception {
        final Path bin = Files.createDirectories(dir.resolve("fake-bin"));
        final Path java = bin.resolve("java");
        Files.writeString(java, "#!/bin/sh\n" + script + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        final Map<String, String> env = new HashMap<>(extraEnv);
        env.put("PATH", bin + ":/usr/bin:/bin");
        env.put("PORTICO_JAR", "/opt/portico/portico.jar");
        final List<String> command = new ArrayList<>(List.of(DeployFiles.path("bin/portico").toString()));
        command.addAll(args);
        final Commands.Result result = Commands.run(command, env, Duration.ofSeconds(20));
        assertThat(result.exitCode()).as(result.output()).isZero();
        return result.output();
    }

    /** A cgroup file system root: v2's memory.max, v1's memory/memory.limit_in_bytes, or neither. */
    private Path cgroupRoot(String version, String limit) throws Exception {
        final Path root = Files.createDirectories(dir.resolve("cgroup-" + version));
        switch (version) {
            case "v2" -> Files.writeString(root.resolve("memory.max"), limit + "\n");
            case "v1" -> Files.writeString(Files.createDirectories(root.resolve("memory"))
                                                .resolve("memory.limit_in_bytes"), limit + "\n");
            case "none" -> { }
            default -> throw new IllegalArgumentException(version);
        }
        return root;
    }

    private static String javaOfThisJvm() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static long flag(String printFlagsFinal, String name) {
        final Matcher m = Pattern.compile("\\s" + name + "\\s+=\\s+(\\S+)").matcher(printFlagsFinal);
        assertThat(m.find()).as("%s in%n%s", name, printFlagsFinal).isTrue();
        return Set.of("true", "false").contains(m.group(1)) ? ("true".equals(m.group(1)) ? 1 : 0)
                                                            : Long.parseLong(m.group(1));
    }
}
