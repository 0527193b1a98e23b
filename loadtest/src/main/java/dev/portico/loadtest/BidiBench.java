package dev.portico.loadtest;

import com.google.protobuf.ByteString;
import dev.portico.loadtest.v1.BenchServiceGrpc;
import dev.portico.loadtest.v1.EchoRequest;
import dev.portico.loadtest.v1.EchoResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The {@code bidi-c8} scenario: bidirectional streaming, 8 calls at once, each a ping-pong of 100 B messages
 * (send one, wait for its echo, send the next) for the run's length, then a half-close and the OK status.
 * Variants: {@code direct-grpc} (grpc-java straight to the backend, h2c) and {@code websocket} (gRPC-Web over
 * WebSocket through Portico, the JDK's WebSocket client speaking improbable-eng's {@code grpc-websockets}).
 * h2load and wrk cannot stream a request body while reading the response, so the kit drives both itself, from
 * the runner's CPU. Each run is checked: every call ends OK, and every message sent came back.
 */
final class BidiBench {
    static final String ID = "bidi-c8";
    private static final int CALLS = 8;
    private static final byte[] PAYLOAD = new byte[100];

    /** One run's outcome: round trips per second, or why it failed. */
    record Run(double messagesPerSecond, String failure) {}

    private BidiBench() {}

    static boolean selected(Options o) {
        return o.only().matcher(ID + "/websocket").find();
    }

    /** Paired runs (direct, then through Portico) after a warm-up of each; returns the report's section. */
    static String run(Options o, Servers servers, Consumer<String> log, List<String> failures)
            throws Exception {
        log.accept("== " + ID + " / websocket (gRPC-Web over WebSocket, HTTP/1.1)");
        servers.startPortico(ID + "-websocket", false);
        final ManagedChannel channel = Grpc.newChannelBuilderForAddress(
                "127.0.0.1", o.backendPort(), InsecureChannelCredentials.create()).build();
        final HttpClient http = HttpClient.newHttpClient();
        final StringBuilder md = new StringBuilder("\n## Bidirectional streaming: " + ID + "\n\n"
                + CALLS + " calls at once, each a ping-pong of 100 B messages for " + o.seconds()
                + " s, then a half-close. Round trips per second; the WebSocket variant goes through Portico "
                + "(one WebSocket per call, HTTP/1.1), the baseline is grpc-java straight to the backend "
                + "(one h2c connection).\n\n"
                + "| run | direct-grpc msg/s | websocket msg/s | × direct |\n|---|---|---|---|\n");
        try {
            final Duration warmup = Duration.ofSeconds(o.quick() ? 5 : 15);
            log.accept("   warm-up: " + describe(direct(channel, warmup)) + " direct, "
                       + describe(websocket(http, o, warmup)) + " websocket");
            final List<Double> ratios = new ArrayList<>();
            for (int rep = 1; rep <= o.repeats(); rep++) {
                final Run direct = direct(channel, Duration.ofSeconds(o.seconds()));
                final Run ws = websocket(http, o, Duration.ofSeconds(o.seconds()));
                log.accept("   " + ID + " run " + rep + ": direct " + describe(direct) + ", websocket "
                           + describe(ws));
                for (Run r : List.of(direct, ws)) {
                    if (r.failure() != null) {
                        failures.add(ID + " run " + rep + ": " + r.failure());
                    }
                }
                final boolean ok = direct.failure() == null && ws.failure() == null;
                final double ratio = ok ? ws.messagesPerSecond() / direct.messagesPerSecond() : Double.NaN;
                if (ok) {
                    ratios.add(ratio);
                }
                md.append("| ").append(rep).append(" | ").append(cell(direct)).append(" | ").append(cell(ws))
                  .append(" | ").append(ok ? String.format("%.2f", ratio) : "FAILED").append(" |\n");
            }
            ratios.sort(null);
            if (!ratios.isEmpty()) {
                md.append("\nMedian × direct: ").append(String.format("%.2f", ratios.get(ratios.size() / 2)))
                  .append(".\n");
            }
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        return md.toString();
    }

    private static String describe(Run run) {
        return run.failure() != null ? "FAILED (" + run.failure() + ")"
                : String.format("%.0f msg/s", run.messagesPerSecond());
    }

    private static String cell(Run run) {
        return run.failure() != null ? "FAILED" : String.format("%.0f", run.messagesPerSecond());
    }

    /** {@link #CALLS} calls to the backend with grpc-java, each pinging until {@code length} is over. */
    private static Run direct(ManagedChannel channel, Duration length) throws InterruptedException {
        final long end = System.nanoTime() + length.toNanos();
        final long start = System.nanoTime();
        final AtomicLong roundTrips = new AtomicLong();
        final List<CompletableFuture<String>> calls = new ArrayList<>();
        final EchoRequest ping = EchoRequest.newBuilder().setPayload(ByteString.copyFrom(PAYLOAD)).build();
        for (int i = 0; i < CALLS; i++) {
            final CompletableFuture<String> done = new CompletableFuture<>();
            calls.add(done);
            final StreamObserver<EchoRequest>[] requests = new StreamObserver[1];
            requests[0] = BenchServiceGrpc.newStub(channel).bidiStream(new StreamObserver<>() {
                private long sent = 1;
                private long received;

                @Override
                public void onNext(EchoResponse response) {
                    received++;
                    roundTrips.incrementAndGet();
                    if (response.getPayload().size() != PAYLOAD.length) {
                        done.complete("an echo of " + response.getPayload().size() + " bytes");
                    }
                    if (System.nanoTime() - end < 0) {
                        sent++;
                        requests[0].onNext(ping);
                    } else {
                        requests[0].onCompleted();
                    }
                }

                @Override
                public void onError(Throwable t) {
                    done.complete("status " + io.grpc.Status.fromThrowable(t));
                }

                @Override
                public void onCompleted() {
                    done.complete(sent == received ? null : sent + " sent, " + received + " echoed");
                }
            });
            requests[0].onNext(ping);
        }
        return finish(calls, roundTrips, start, length);
    }

    /** {@link #CALLS} WebSockets to Portico, each one call pinging until {@code length} is over. */
    private static Run websocket(HttpClient http, Options o, Duration length) throws InterruptedException {
        final long end = System.nanoTime() + length.toNanos();
        final long start = System.nanoTime();
        final AtomicLong roundTrips = new AtomicLong();
        final List<CompletableFuture<String>> calls = new ArrayList<>();
        final byte[] ping = new byte[1 + 5 + 2 + PAYLOAD.length];
        // Control byte 0, the gRPC-Web frame header, then EchoRequest{payload = 100 bytes} (field 1, 100 long).
        ByteBuffer.wrap(ping).put((byte) 0).put((byte) 0).putInt(2 + PAYLOAD.length).put((byte) 0x0a)
                  .put((byte) PAYLOAD.length);
        for (int i = 0; i < CALLS; i++) {
            final CompletableFuture<String> done = new CompletableFuture<>();
            calls.add(done);
            final WebSocketCall call = new WebSocketCall(end, ping, roundTrips, done);
            http.newWebSocketBuilder().subprotocols("grpc-websockets")
                .buildAsync(URI.create("ws://127.0.0.1:" + o.porticoPort()
                                       + "/portico.loadtest.v1.BenchService/BidiStream"), call)
                .whenComplete((ws, e) -> {
                    if (e != null) {
                        done.complete("no WebSocket: " + e);
                    }
                });
        }
        return finish(calls, roundTrips, start, length);
    }

    private static Run finish(List<CompletableFuture<String>> calls, AtomicLong roundTrips, long start,
                              Duration length) throws InterruptedException {
        for (CompletableFuture<String> call : calls) {
            try {
                final String failure = call.get(length.toSeconds() + 30, TimeUnit.SECONDS);
                if (failure != null) {
                    return new Run(0, failure);
                }
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                return new Run(0, "a call did not end: " + e);
            }
        }
        return new Run(roundTrips.get() / ((System.nanoTime() - start) / 1e9), null);
    }

    /** One call over the grpc-websockets wire: headers, then ping-pong, finish-send, trailers, close. */
    private static final class WebSocketCall implements WebSocket.Listener {
        private static final byte[] HEADERS = "content-type: application/grpc-web+proto\r\nx-grpc-web: 1\r\n"
                .getBytes(StandardCharsets.US_ASCII);
        private final long end;
        private final byte[] ping;
        private final AtomicLong roundTrips;
        private final CompletableFuture<String> done;
        private final ByteArrayOutputStream in = new ByteArrayOutputStream();
        private CompletableFuture<WebSocket> sending;
        private int headerFrames;
        private long sent;
        private long received;
        private String status;

        WebSocketCall(long end, byte[] ping, AtomicLong roundTrips, CompletableFuture<String> done) {
            this.end = end;
            this.ping = ping;
            this.roundTrips = roundTrips;
            this.done = done;
        }

        @Override
        public void onOpen(WebSocket ws) {
            sending = ws.sendBinary(ByteBuffer.wrap(HEADERS), true);
            send(ws, ping);
            ws.request(1);
        }

        /** One send at a time, as the JDK client requires. */
        private void send(WebSocket ws, byte[] message) {
            if (message == ping) {
                sent++;
            }
            sending = sending.thenCompose(w -> w.sendBinary(ByteBuffer.wrap(message), true));
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            final byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            in.writeBytes(bytes);
            final byte[] all = in.toByteArray();
            int at = 0;
            while (all.length - at >= 5) {
                final int length = ByteBuffer.wrap(all, at + 1, 4).getInt();
                if (all.length - at - 5 < length) {
                    break;
                }
                if ((all[at] & 0x80) != 0) {
                    if (++headerFrames == 2) {
                        final String trailers = new String(all, at + 5, length, StandardCharsets.US_ASCII);
                        status = trailers.contains("grpc-status: 0\r\n") ? "OK" : trailers.strip();
                    }
                } else {
                    received++;
                    roundTrips.incrementAndGet();
                    send(ws, System.nanoTime() - end < 0 ? ping : new byte[] {1});
                }
                at += 5 + length;
            }
            in.reset();
            in.write(all, at, all.length - at);
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
            if (!"OK".equals(status)) {
                done.complete("status " + status + ", close " + code);
            } else {
                done.complete(sent == received ? null : sent + " sent, " + received + " echoed");
            }
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            done.complete("WebSocket error: " + error);
        }
    }
}
