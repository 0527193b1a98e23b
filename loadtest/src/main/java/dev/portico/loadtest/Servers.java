package dev.portico.loadtest;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The server processes a run starts, the benchmark backend and Portico, pinned to the server CPU. Each is
 * a {@link Daemon} listed in the work folder's pid file, and only those are ever stopped, by their PIDs.
 */
final class Servers implements AutoCloseable {
    private final Options o;
    private final Path logs;
    private final Path pidFile;
    private final BackendClient backendClient;
    private final List<Daemon> running = new ArrayList<>();

    Servers(Options o, Path logs) throws IOException {
        this.o = o;
        this.logs = logs;
        this.pidFile = o.work().resolve("pids");
        this.backendClient = new BackendClient(o.statsPort());
        Files.deleteIfExists(pidFile);
    }

    /** Fails the run before anything starts when one of its ports is taken. */
    void requireFreePorts() {
        for (int port : new int[] {o.backendPort(), o.statsPort(), o.porticoPort(), o.adminPort()}) {
            requireFree(port);
        }
    }

    /** Starts the backend (its output appended to logs/backend.log) and waits until its stats answer. */
    Daemon startBackend() throws IOException, InterruptedException {
        final Daemon daemon = Daemon.start("backend", List.of(
                "taskset", "-c", String.valueOf(o.serverCpu()), o.javaBin(), "-jar", o.kitJar().toString(),
                "backend", "--port", String.valueOf(o.backendPort()), "--stats-port", String.valueOf(o.statsPort())),
                logs.resolve("backend.log"), pidFile);
        add(daemon);
        final long deadline = System.nanoTime() + 60_000_000_000L;
        while (!backendClient.up()) {
            if (!daemon.alive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("the backend did not start; see " + daemon.log);
            }
            Thread.sleep(100);
        }
        log("backend up (pid " + daemon.pid + ", CPU " + o.serverCpu() + ")");
        return daemon;
    }

    /**
     * A fresh Portico, started by bin/portico, with only the ports, upstream and TLS configured; returns once
     * its admin /readyz answers 200, with the start-up times recorded on the daemon.
     */
    Daemon startPortico(String name, boolean tls) throws IOException, InterruptedException {
        final Path config = o.work().resolve(tls ? "portico-tls.conf" : "portico.conf");
        final StringBuilder conf = new StringBuilder()
                .append("portico {\n")
                .append("  listen { host = \"127.0.0.1\", port = ").append(o.porticoPort()).append(" }\n")
                .append("  upstream.endpoints = [\"127.0.0.1:").append(o.backendPort()).append("\"]\n")
                .append("  admin { host = \"127.0.0.1\", port = ").append(o.adminPort()).append(" }\n");
        if (tls) {
            conf.append("  tls { cert-chain-file = \"").append(o.tlsCert()).append("\", private-key-file = \"")
                .append(o.tlsKey()).append("\" }\n");
        }
        Files.writeString(config, conf.append("}\n"));
        requireFree(o.porticoPort());
        requireFree(o.adminPort());
        final Daemon daemon = Daemon.start("portico", List.of(
                // Through bin/portico, so that Portico runs with the JVM settings it ships with.
                "taskset", "-c", String.valueOf(o.serverCpu()), "env", "PORTICO_JAR=" + o.porticoJar(),
                o.launcher().toString(), "--config", config.toString()),
                logs.resolve("portico-" + name + ".log"), pidFile);
        add(daemon);
        final HttpClient http = HttpClient.newHttpClient();
        final long deadline = System.nanoTime() + 60_000_000_000L;
        // Polled every 10 ms: the start-up times are reported in milliseconds (README "Start-up").
        while (daemon.readyMillis < 0) {
            if (!daemon.alive()) {
                throw new CheckFailed("Portico did not start (exit); see " + daemon.log.getFileName());
            }
            if (System.nanoTime() > deadline) {
                throw new CheckFailed("Portico did not become ready in 60 s; see " + daemon.log.getFileName());
            }
            if (daemon.listeningMillis < 0 && accepts(o.porticoPort())) {
                daemon.listeningMillis = daemon.millisSinceLaunch();
            }
            if (daemon.listeningMillis >= 0 && ready(http)) {
                daemon.readyMillis = daemon.millisSinceLaunch();
            } else {
                Thread.sleep(10);
            }
        }
        log("   Portico up (pid " + daemon.pid + ", CPU " + o.serverCpu() + ", RSS " + daemon.rssKiB() / 1024
            + " MiB; listening after " + daemon.listeningMillis + " ms, ready after " + daemon.readyMillis
            + " ms)");
        return daemon;
    }

    private synchronized void add(Daemon daemon) {
        running.add(daemon);
    }

    /** Admin /readyz answers 200: Portico has a healthy upstream endpoint and takes calls. */
    private boolean ready(HttpClient http) {
        try {
            final HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + o.adminPort() + "/readyz"))
                            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static void requireFree(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", port));
        } catch (IOException e) {
            throw new IllegalStateException("port " + port + " on 127.0.0.1 is in use (choose others with "
                                            + "--backend-port, --stats-port, --portico-port, --admin-port)", e);
        }
    }

    /** SIGTERM (SIGKILL after 15 s) and forget it. */
    synchronized void stop(Daemon daemon) {
        daemon.close();
        running.remove(daemon);
    }

    /** SIGKILL at once: a crash, not a shutdown. */
    synchronized void kill(Daemon daemon) {
        daemon.kill();
        running.remove(daemon);
    }

    /** Stops every process still running. */
    @Override
    public synchronized void close() {
        for (Daemon daemon : new ArrayList<>(running)) {
            daemon.close();
        }
        running.clear();
    }

    private static void log(String line) {
        System.err.println(line);
    }
}
