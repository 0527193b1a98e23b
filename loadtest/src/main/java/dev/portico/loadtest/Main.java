package dev.portico.loadtest;

import java.util.Arrays;

/**
 * The kit's one jar: {@code backend} runs the benchmark gRPC server, {@code run} runs the scenarios (what
 * loadtest/run.sh calls), {@code bodies} only writes the request bodies.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage();
            return;
        }
        final String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "backend" -> BenchBackend.main(rest);
            case "run" -> LoadTest.main(rest);
            case "bodies" -> RequestBodies.main(rest);
            default -> usage();
        }
    }

    private static void usage() {
        System.err.println("usage: java -jar portico-loadtest.jar backend [--port N] [--stats-port N]\n"
                           + "       java -jar portico-loadtest.jar run --portico-jar FILE ... (see run.sh)\n"
                           + "       java -jar portico-loadtest.jar bodies DIR");
        System.exit(2);
    }
}
