package dev.portico.loadtest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * The runner's settings, from {@code run} arguments (run.sh passes them). Defaults are the full run;
 * {@code --quick} shortens every point and scales the open-streams target down.
 */
record Options(boolean quick, Path porticoJar, Path launcher, Path kitJar, Path luaScript, Path tlsCert,
               Path tlsKey,
               Path results, Path work, int serverCpu, int loadCpu, int repeats, int seconds,
               int warmupSeconds, int openStreams, Pattern only, int backendPort, int statsPort,
               int porticoPort, int adminPort, String javaBin, String porticoBuild, double noiseLimit,
               int noiseRetries, boolean soak, int soakSeconds) {

    static Options parse(String[] args) {
        boolean quick = false;
        Path porticoJar = null;
        Path launcher = null;
        Path kitJar = null;
        Path lua = null;
        Path cert = null;
        Path key = null;
        Path results = null;
        Path work = null;
        int serverCpu = 0;
        int loadCpu = 1;
        Integer repeats = null;
        Integer seconds = null;
        Integer warmup = null;
        Integer openStreams = null;
        Pattern only = Pattern.compile(".*");
        int backendPort = 50151;
        int statsPort = 50152;
        int porticoPort = 18080;
        int adminPort = 19090;
        String javaBin = "java";
        String porticoBuild = "build not described";
        double noiseLimit = 0.25;
        Integer noiseRetries = null;
        boolean soak = false;
        int soakSeconds = 180;
        for (int i = 0; i < args.length; i++) {
            final String arg = args[i];
            if (arg.equals("--quick")) {
                quick = true;
                continue;
            }
            if (arg.equals("--soak")) {
                soak = true;
                continue;
            }
            if (i + 1 == args.length) {
                throw new IllegalArgumentException(arg + " needs a value");
            }
            final String value = args[++i];
            switch (arg) {
                case "--portico-jar" -> porticoJar = Path.of(value);
                case "--launcher" -> launcher = Path.of(value);
                case "--kit-jar" -> kitJar = Path.of(value);
                case "--lua" -> lua = Path.of(value);
                case "--tls-cert" -> cert = Path.of(value);
                case "--tls-key" -> key = Path.of(value);
                case "--results" -> results = Path.of(value);
                case "--work" -> work = Path.of(value);
                case "--server-cpu" -> serverCpu = Integer.parseInt(value);
                case "--load-cpu" -> loadCpu = Integer.parseInt(value);
                case "--repeats" -> repeats = Integer.parseInt(value);
                case "--seconds" -> seconds = Integer.parseInt(value);
                case "--warmup" -> warmup = Integer.parseInt(value);
                case "--open-streams" -> openStreams = Integer.parseInt(value);
                case "--only" -> only = Pattern.compile(value);
                case "--backend-port" -> backendPort = Integer.parseInt(value);
                case "--stats-port" -> statsPort = Integer.parseInt(value);
                case "--portico-port" -> porticoPort = Integer.parseInt(value);
                case "--admin-port" -> adminPort = Integer.parseInt(value);
                case "--java" -> javaBin = value;
                case "--portico-build" -> porticoBuild = value;
                case "--noise-limit" -> noiseLimit = Integer.parseInt(value) / 100.0;
                case "--noise-retries" -> noiseRetries = Integer.parseInt(value);
                case "--soak-duration" -> soakSeconds = seconds(value);
                default -> throw new IllegalArgumentException("unknown argument " + arg);
            }
        }
        if (porticoJar == null || launcher == null || kitJar == null || lua == null || cert == null || key == null
            || results == null
            || work == null) {
            throw new IllegalArgumentException(
                    "--portico-jar, --kit-jar, --lua, --tls-cert, --tls-key, --results and --work are required");
        }
        final Options options = new Options(
                quick, porticoJar, launcher, kitJar, lua, cert, key, results, work, serverCpu, loadCpu,
                repeats != null ? repeats : quick ? 1 : 3,
                seconds != null ? seconds : quick ? 3 : 8,
                warmup != null ? warmup : quick ? 120 : 180,
                openStreams != null ? openStreams : quick ? 1000 : 10_000,
                only, backendPort, statsPort, porticoPort, adminPort, javaBin, porticoBuild, noiseLimit,
                noiseRetries != null ? noiseRetries : quick ? 1 : 2, soak, soakSeconds);
        if (options.repeats < 1 || options.seconds < 1 || options.warmupSeconds < 1 || options.openStreams < 1
            || options.openStreams > 50_000 || options.noiseRetries < 0 || options.noiseLimit <= 0
            || options.soakSeconds < 30 || options.soakSeconds > 24 * 3600) {
            throw new IllegalArgumentException("repeats, seconds, warmup >= 1; open-streams 1..50000; "
                                               + "noise-retries >= 0; noise-limit > 0; soak-duration 30s..24h");
        }
        return options;
    }

    /**
     * The class-data-sharing archive bin/portico maps when it exists beside the jar (run.sh makes it with
     * bin/portico-cds-archive unless --no-cds).
     */
    Path cdsArchive() {
        final String jar = porticoJar.getFileName().toString();
        return porticoJar.resolveSibling(jar.replaceFirst("\\.jar$", "") + ".jsa");
    }

    boolean cdsUsed() {
        return Files.isRegularFile(cdsArchive());
    }

    /** A duration such as {@code 180}, {@code 180s}, {@code 10m} or {@code 2h}, in seconds. */
    private static int seconds(String value) {
        final var m = Pattern.compile("(\\d{1,6})([smh]?)").matcher(value);
        if (!m.matches()) {
            throw new IllegalArgumentException("--soak-duration takes N, Ns, Nm or Nh, not " + value);
        }
        final int n = Integer.parseInt(m.group(1));
        return switch (m.group(2)) {
            case "m" -> n * 60;
            case "h" -> n * 3600;
            default -> n;
        };
    }
}
