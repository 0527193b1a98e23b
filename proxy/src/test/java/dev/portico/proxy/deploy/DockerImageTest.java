package dev.portico.proxy.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.config.PorticoSettings;
import dev.portico.proxy.testing.Commands;
import dev.portico.proxy.testing.DeployFiles;
import dev.portico.proxy.testing.Dockerfile;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.StandalonePortico;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The Docker image, without a Docker engine: its HEALTHCHECK command run against a real Portico, the files
 * it copies and runs, its user, and the build context {@code .dockerignore} leaves.
 */
class DockerImageTest {
    /** Where the Dockerfile puts the launchers; they come from bin/ of the repository. */
    private static final String IMAGE_BIN = "/opt/portico/bin/";

    @Test
    void theHealthcheckPassesWhileReadyzAnswers200AndFailsOtherwise() throws Exception {
        final List<String> healthcheck = healthcheckCommand();
        final int adminPort;
        try (PorticoFixture portico = PorticoFixture.start("portico.upstream.health-check.interval = 300ms")) {
            portico.awaitReady(Duration.ofSeconds(10));
            adminPort = portico.adminPort();
            assertThat(check(healthcheck, adminPort).exitCode()).as("ready").isZero();

            // The only endpoint turns NOT_SERVING: no cluster has a healthy endpoint, /readyz answers 503.
            portico.backend().health().setStatus("", ServingStatus.NOT_SERVING);
            awaitReadiness(portico, false);
            assertThat(check(healthcheck, adminPort).exitCode()).as("not ready").isEqualTo(1);

            portico.backend().health().setStatus("", ServingStatus.SERVING);
            awaitReadiness(portico, true);
            assertThat(check(healthcheck, adminPort).exitCode()).as("ready again").isZero();
        }
        assertThat(check(healthcheck, adminPort).exitCode()).as("Portico stopped").isEqualTo(1);
        assertThat(check(healthcheck, StandalonePortico.closedPort()).exitCode()).as("nothing listening")
                .isEqualTo(1);
    }

    /**
     * The image's CMD: {@code --config /etc/portico/portico.conf}, which is examples/portico.conf copied in. It
     * loads with Portico's own loader and turns the access log on (it is off by default).
     */
    @Test
    void theImagesConfigurationIsTheExampleFileAndLoads() throws Exception {
        final Dockerfile dockerfile = Dockerfile.read();
        final List<String> cmd = Dockerfile.execForm(dockerfile.last("CMD").orElseThrow().arguments());
        assertThat(cmd).containsExactly("--config", "/etc/portico/portico.conf");
        assertThat(dockerfile.finalStage()).as("the example configuration is the image's")
                .contains(new Dockerfile.Instruction("COPY", "examples/portico.conf /etc/portico/portico.conf"));
        final PorticoSettings settings = DeployFiles.porticoConfig("examples/portico.conf");
        assertThat(settings.accessLog().enabled()).isTrue();
        assertThat(settings.admin().port()).isEqualTo(9090);
        assertThat(settings.listen().port()).isEqualTo(8080);
        assertThat(settings.upstream().endpoints()).as("no upstream: demo mode").isEmpty();
    }

    @Test
    void theImageRunsTheLauncherAsANonRootUserWithAHealthcheckOnTheAdminPort() throws IOException {
        final Dockerfile dockerfile = Dockerfile.read();
        final List<String> entrypoint =
                Dockerfile.execForm(dockerfile.last("ENTRYPOINT").orElseThrow().arguments());
        assertThat(entrypoint).containsExactly(IMAGE_BIN + "portico");
        final List<String> copied = copiedLaunchers(dockerfile);
        assertThat(copied).as("launchers copied from bin/").contains("portico", "portico-healthcheck");
        for (String launcher : copied) {
            assertThat(Files.isExecutable(DeployFiles.path("bin/" + launcher))).as("bin/" + launcher).isTrue();
        }
        assertThat(healthcheckCommand().get(0)).isEqualTo(IMAGE_BIN + "portico-healthcheck");
        assertThat(DeployFiles.text("bin/portico-healthcheck")).as("the default admin port")
                .contains("${PORTICO_ADMIN_PORT:-9090}").contains("/readyz");

        final String user = dockerfile.last("USER").orElseThrow().arguments();
        assertThat(user).as("numeric, so that Kubernetes' runAsNonRoot can check it").matches("[0-9]+");
        assertThat(Integer.parseInt(user)).isPositive();
        assertThat(dockerfile.last("EXPOSE").orElseThrow().arguments().split("\\s+"))
                .as("the listener, the demo app's, the admin port")
                .containsExactlyInAnyOrder("8080", "8081", "9090");
        assertThat(dockerfile.last("STOPSIGNAL").orElseThrow().arguments()).isEqualTo("SIGTERM");
        // Small: a JRE, no JDK, no curl, no package lists left behind.
        final String runtimePackages = dockerfile.finalStage().stream()
                .filter(i -> i.keyword().equals("RUN")).map(Dockerfile.Instruction::arguments)
                .reduce("", String::concat);
        assertThat(runtimePackages).contains("--no-install-recommends", "openjdk-17-jre-headless",
                                             "rm -rf /var/lib/apt/lists/*")
                .doesNotContain("jdk-headless maven", "curl", "wget");
    }

    @Test
    void theBuildContextLeavesOutBuildOutputAndKeepsEverythingTheDockerfileCopies() throws IOException {
        final List<Pattern> ignored = dockerignore();
        for (String excluded : List.of(".git/HEAD", "proxy/target/portico.jar", "config/target/classes/x.class",
                                       "web-demo/node_modules/grpc-web/index.js", "web-demo/gen/demo_pb.js",
                                       "loadtest/results/x/results.md")) {
            assertThat(isIgnored(ignored, excluded)).as(excluded).isTrue();
        }
        final List<String> sources = new ArrayList<>();
        for (Dockerfile.Instruction copy : Dockerfile.read().all()) {
            if (copy.keyword().equals("COPY") && !copy.arguments().startsWith("--from")) {
                final String[] words = copy.arguments().split("\\s+");
                sources.addAll(List.of(words).subList(0, words.length - 1));
            }
        }
        assertThat(sources).contains("pom.xml", "proxy", "web-demo/site", "bin/portico");
        for (String source : sources) {
            for (String file : filesUnder(source)) {
                assertThat(isIgnored(ignored, file)).as("%s (copied by the Dockerfile)", file).isFalse();
            }
        }
    }

    private static Commands.Result check(List<String> healthcheck, int adminPort) throws Exception {
        // The image's command, from bin/ of the repository; the admin port through the variable it reads.
        final List<String> command = new ArrayList<>(healthcheck);
        command.set(0, DeployFiles.path("bin/" + command.get(0).substring(IMAGE_BIN.length())).toString());
        return Commands.run(command, Map.of("PORTICO_ADMIN_PORT", Integer.toString(adminPort)),
                            Duration.ofSeconds(20));
    }

    private static List<String> healthcheckCommand() throws IOException {
        final String healthcheck = Dockerfile.read().last("HEALTHCHECK").orElseThrow().arguments();
        final int cmd = healthcheck.indexOf("CMD ");
        assertThat(cmd).as("HEALTHCHECK [options] CMD [...]").isPositive();
        return Dockerfile.execForm(healthcheck.substring(cmd + 4));
    }

    private static void awaitReadiness(PorticoFixture portico, boolean ready) throws InterruptedException {
        final long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (portico.portico().readiness().check().ready() != ready) {
            assertThat(System.nanoTime()).as("readiness %s within 10 s", ready).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    /** The file names COPY puts in /opt/portico/bin/ from bin/. */
    private static List<String> copiedLaunchers(Dockerfile dockerfile) {
        final List<String> launchers = new ArrayList<>();
        for (Dockerfile.Instruction copy : dockerfile.finalStage()) {
            final String[] words = copy.arguments().split("\\s+");
            if (copy.keyword().equals("COPY") && words[words.length - 1].startsWith(IMAGE_BIN)) {
                for (int i = 0; i < words.length - 1; i++) {
                    assertThat(words[i]).startsWith("bin/");
                    launchers.add(words[i].substring("bin/".length()));
                }
            }
        }
        return launchers;
    }

    /** .dockerignore's patterns as Docker matches them (Go's filepath.Match, plus ** for any directories). */
    private static List<Pattern> dockerignore() throws IOException {
        final List<Pattern> patterns = new ArrayList<>();
        for (String line : DeployFiles.text(".dockerignore").split("\n")) {
            final String pattern = line.strip();
            if (pattern.isEmpty() || pattern.startsWith("#")) {
                continue;
            }
            assertThat(pattern).as("no ! exceptions: this test does not model them").doesNotStartWith("!");
            final StringBuilder regex = new StringBuilder();
            for (int i = 0; i < pattern.length(); i++) {
                final char c = pattern.charAt(i);
                if (c == '*' && i + 1 < pattern.length() && pattern.charAt(i + 1) == '*') {
                    regex.append(".*");
                    i++;
                } else if (c == '*') {
                    regex.append("[^/]*");
                } else if (c == '?') {
                    regex.append("[^/]");
                } else {
                    regex.append(Pattern.quote(String.valueOf(c)));
                }
            }
            patterns.add(Pattern.compile(regex.toString().replace(".*" + Pattern.quote("/"), "(.*/)?")));
        }
        return patterns;
    }

    /** Whether a pattern matches {@code file} or one of its parent directories (which excludes it all). */
    private static boolean isIgnored(List<Pattern> patterns, String file) {
        String path = file;
        while (!path.isEmpty()) {
            final String candidate = path;
            if (patterns.stream().anyMatch(p -> p.matcher(candidate).matches())) {
                return true;
            }
            final int slash = path.lastIndexOf('/');
            path = slash < 0 ? "" : path.substring(0, slash);
        }
        return false;
    }

    /** {@code source} itself, or the files under it, outside build output this checkout may hold. */
    private static List<String> filesUnder(String source) throws IOException {
        final Path start = DeployFiles.path(source);
        if (!Files.isDirectory(start)) {
            return List.of(source);
        }
        try (Stream<Path> files = Files.walk(start)) {
            return files.filter(Files::isRegularFile)
                        .map(f -> DeployFiles.ROOT.relativize(f).toString())
                        .filter(f -> !f.contains("/target/") && !f.contains("/node_modules/"))
                        .toList();
        }
    }
}
