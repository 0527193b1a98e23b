package dev.portico.loadtest;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The benchmark backend: a plain grpc-java server on 127.0.0.1 serving {@link BenchService}, and a tiny HTTP
 * endpoint on 127.0.0.1 for the runner:
 * <ul>
 *   <li>{@code GET /stats}: the {@link CallCounter} totals, one {@code name value} per line;</li>
 *   <li>{@code POST /release}: ends the streams held open by {@code hold_ms};</li>
 *   <li>{@code POST /reset-peak}: restarts the open-calls peak.</li>
 * </ul>
 * On SIGTERM it prints the totals to stdout and stops.
 *
 * <p>Services run on grpc-java's transport threads ({@code directExecutor}), as a tuned grpc-java service
 * would: the baseline is the fastest this server can be, so Portico's ratio to it is not flattered.
 * {@code --executor default} uses grpc-java's default cached thread pool instead.
 */
final class BenchBackend {
    private BenchBackend() {}

    public static void main(String[] args) throws Exception {
        int port = 50151;
        int statsPort = 50152;
        boolean direct = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--stats-port" -> statsPort = Integer.parseInt(args[++i]);
                case "--executor" -> direct = switch (args[++i]) {
                    case "direct" -> true;
                    case "default" -> false;
                    default -> throw new IllegalArgumentException("--executor direct|default");
                };
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread thread = new Thread(r, "bench-timer");
            thread.setDaemon(true);
            return thread;
        });
        final CallCounter counter = new CallCounter();
        final BenchService service = new BenchService(counter, timer);
        final NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
                .addService(ServerInterceptors.intercept(service, counter))
                .addService(ProtoReflectionServiceV1.newInstance());
        if (direct) {
            builder.directExecutor();
        }
        final Server server = builder.build().start();

        final HttpServer stats = HttpServer.create(new InetSocketAddress("127.0.0.1", statsPort), 16);
        stats.createContext("/stats", exchange -> reply(exchange, format(counter.snapshot())));
        stats.createContext("/release", exchange -> reply(exchange, "released " + service.releaseHeld() + "\n"));
        stats.createContext("/reset-peak", exchange -> {
            counter.resetPeak();
            reply(exchange, "ok\n");
        });
        stats.start();
        System.out.println("bench backend: gRPC on 127.0.0.1:" + server.getPort() + ", stats on http://127.0.0.1:"
                           + statsPort + "/stats, executor " + (direct ? "direct" : "default") + ", "
                           + Runtime.getRuntime().availableProcessors() + " CPU(s) visible");
        System.out.flush();

        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stats.stop(0);
            server.shutdownNow();
            try {
                server.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            System.out.print("bench backend totals:\n" + format(counter.snapshot()));
            System.out.flush();
            stopped.countDown();
        }, "bench-shutdown"));
        server.awaitTermination();
        stopped.await();
    }

    private static String format(Map<String, Long> counts) {
        final StringBuilder out = new StringBuilder();
        counts.forEach((name, value) -> out.append(name).append(' ').append(value).append('\n'));
        return out.toString();
    }

    private static void reply(HttpExchange exchange, String body) throws IOException {
        final byte[] bytes = body.getBytes(StandardCharsets.US_ASCII);
        exchange.getResponseHeaders().set("content-type", "text/plain");
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
