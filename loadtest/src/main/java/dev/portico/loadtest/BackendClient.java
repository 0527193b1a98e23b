package dev.portico.loadtest;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** The runner's side of the backend's loopback stats endpoint ({@link BenchBackend}). */
final class BackendClient {
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;

    BackendClient(int statsPort) {
        this.base = "http://127.0.0.1:" + statsPort;
    }

    Map<String, Long> stats() throws IOException, InterruptedException {
        final Map<String, Long> out = new HashMap<>();
        for (String line : get("/stats").split("\n")) {
            final String[] kv = line.trim().split(" ");
            if (kv.length == 2) {
                out.put(kv[0], Long.parseLong(kv[1]));
            }
        }
        return out;
    }

    /**
     * Waits (at most 10 s) until no call is open any more, then returns the counts: calls a load tool
     * abandoned when it stopped may still be finishing in the backend.
     */
    Map<String, Long> statsWhenQuiet(long openBefore) throws IOException, InterruptedException {
        final long deadline = System.nanoTime() + 10_000_000_000L;
        Map<String, Long> stats = stats();
        while (stats.get("calls_open") > openBefore && System.nanoTime() < deadline) {
            Thread.sleep(50);
            stats = stats();
        }
        return stats;
    }

    int release() throws IOException, InterruptedException {
        return Integer.parseInt(get("/release").replaceAll("\\D", ""));
    }

    void resetPeak() throws IOException, InterruptedException {
        get("/reset-peak");
    }

    boolean up() {
        try {
            stats();
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private String get(String path) throws IOException, InterruptedException {
        final HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("backend " + path + " answered " + response.statusCode());
        }
        return response.body();
    }
}
