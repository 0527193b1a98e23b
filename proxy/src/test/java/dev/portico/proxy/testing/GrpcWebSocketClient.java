package dev.portico.proxy.testing;

import com.google.protobuf.MessageLite;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A raw client of gRPC-Web over WebSocket (improbable-eng's {@code grpc-websockets}), on the JDK's WebSocket
 * client: it sends exactly the messages a test gives (well-formed or not) and records every binary message
 * and the close code it receives. One call per instance.
 */
public final class GrpcWebSocketClient implements AutoCloseable {
    /** Shared: Java 17's HTTP client has no close(), and its selector thread is a daemon. */
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final WebSocket socket;
    private final BlockingQueue<byte[]> messages = new LinkedBlockingQueue<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    /** Whether the listener asks for the next message as soon as it has one (the JDK reads only on demand). */
    private volatile boolean reading = true;
    private volatile CompletableFuture<byte[]> pong = new CompletableFuture<>();

    private GrpcWebSocketClient(int port, String path, Map<String, String> headers) throws Exception {
        final WebSocket.Builder builder = HTTP.newWebSocketBuilder().subprotocols("grpc-websockets")
                                              .connectTimeout(Duration.ofSeconds(5));
        headers.forEach(builder::header);
        socket = builder.buildAsync(URI.create("ws://127.0.0.1:" + port + path), new Listener())
                        .get(10, TimeUnit.SECONDS);
    }

    /** Opens a WebSocket to {@code path} (the handshake done); {@code headers} go on the upgrade request. */
    public static GrpcWebSocketClient open(int port, String path, Map<String, String> headers) throws Exception {
        return new GrpcWebSocketClient(port, path, headers);
    }

    public static GrpcWebSocketClient open(int port, String path) throws Exception {
        return open(port, path, Map.of());
    }

    public String subprotocol() {
        return socket.getSubprotocol();
    }

    /** The header message: {@code name: value\r\n} lines, with the content type the improbable client sends. */
    public GrpcWebSocketClient sendHeaders(String... extraLines) throws Exception {
        final StringBuilder block = new StringBuilder("content-type: application/grpc-web+proto\r\nx-grpc-web: 1\r\n");
        for (String line : extraLines) {
            block.append(line).append("\r\n");
        }
        return sendBinary(block.toString().getBytes(StandardCharsets.US_ASCII));
    }

    /** One request message: control byte 0, then the gRPC-Web frame. */
    public GrpcWebSocketClient sendMessage(MessageLite message) throws Exception {
        return sendBinary(GrpcWeb.concat(new byte[] {0}, GrpcWeb.frame(message)));
    }

    /** Finish-send: the single byte 1. */
    public GrpcWebSocketClient finishSend() throws Exception {
        return sendBinary(new byte[] {1});
    }

    public GrpcWebSocketClient sendBinary(byte[] message) throws Exception {
        socket.sendBinary(ByteBuffer.wrap(message), true).get(5, TimeUnit.SECONDS);
        return this;
    }

    public GrpcWebSocketClient sendText(String message) throws Exception {
        socket.sendText(message, true).get(5, TimeUnit.SECONDS);
        return this;
    }

    /**
     * Stops or resumes reading: while stopped the JDK client asks the socket for nothing more, so the
     * server's writes back up, as with a browser tab that cannot keep up.
     */
    public void setReading(boolean on) {
        reading = on;
        if (on) {
            socket.request(1);
        }
    }

    /** Sends a ping; the future completes with the pong's payload. */
    public CompletableFuture<byte[]> ping(byte[] payload) throws Exception {
        pong = new CompletableFuture<>();
        socket.sendPing(ByteBuffer.wrap(payload)).get(5, TimeUnit.SECONDS);
        return pong;
    }

    /** Starts the closing handshake, as the browser's cancel() does. */
    public void sendClose() throws Exception {
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
    }

    /** The next binary message, or null after {@code timeout}. */
    public byte[] nextMessage(Duration timeout) throws InterruptedException {
        return messages.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The close code the server sent, once it did (within {@code timeout}). */
    public int awaitClose(Duration timeout) throws Exception {
        return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Every message up to the server's close: the response of a call that ran to its end. Each header or
     * trailer frame must have come as a message of its own (the improbable client needs that).
     */
    public Response awaitResponse(Duration timeout) throws Exception {
        final int code = awaitClose(timeout);
        final List<byte[]> all = new ArrayList<>();
        messages.drainTo(all);
        return Response.of(all, code);
    }

    @Override
    public void close() {
        socket.abort();
    }

    /** A whole response: the header frame's headers, the messages, the trailer frame's trailers, the close. */
    public record Response(HttpHeaders headers, List<byte[]> messages, HttpHeaders trailers, int closeCode,
                           List<byte[]> rawMessages) {
        static Response of(List<byte[]> raw, int closeCode) {
            HttpHeaders headers = null;
            HttpHeaders trailers = null;
            final List<byte[]> messages = new ArrayList<>();
            for (byte[] message : raw) {
                final ByteBuffer in = ByteBuffer.wrap(message);
                while (in.hasRemaining()) {
                    final int flags = in.get() & 0xff;
                    final byte[] payload = new byte[in.getInt()];
                    in.get(payload);
                    if ((flags & 0x80) == 0) {
                        if (headers == null || trailers != null) {
                            throw new AssertionError("a message frame outside headers and trailers");
                        }
                        messages.add(payload);
                        continue;
                    }
                    if (in.hasRemaining()) {
                        throw new AssertionError("a header frame shares its WebSocket message with more frames");
                    }
                    if (headers == null) {
                        headers = block(payload);
                    } else if (trailers == null) {
                        trailers = block(payload);
                    } else {
                        throw new AssertionError("a third header frame");
                    }
                }
            }
            return new Response(headers, messages, trailers, closeCode, raw);
        }

        /** The status: from the trailers, or from the headers of a headers-only answer. */
        public String status() {
            return trailers != null ? trailers.get("grpc-status") : headers == null ? null : headers.get("grpc-status");
        }

        public String trailer(String name) {
            return trailers == null ? null : trailers.get(name);
        }

        private static HttpHeaders block(byte[] payload) {
            final HttpHeaders parsed = new DefaultHttpHeaders();
            for (String line : new String(payload, StandardCharsets.US_ASCII).split("\r\n")) {
                if (!line.isEmpty()) {
                    final int colon = line.indexOf(':');
                    parsed.add(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
                }
            }
            return parsed;
        }
    }

    private final class Listener implements WebSocket.Listener {
        private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            final byte[] bytes = new byte[data.remaining()];
            data.get(bytes);
            partial.writeBytes(bytes);
            if (last) {
                messages.add(partial.toByteArray());
                partial.reset();
            }
            if (reading) {
                webSocket.request(1);
            }
            return null;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            closed.completeExceptionally(new AssertionError("the server sent a text message: " + data));
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
            final byte[] bytes = new byte[message.remaining()];
            message.get(bytes);
            pong.complete(bytes);
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.completeExceptionally(error);
        }
    }
}
