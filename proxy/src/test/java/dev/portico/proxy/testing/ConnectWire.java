package dev.portico.proxy.testing;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The Connect protocol as a test client writes and reads it (connectrpc.com/docs/protocol), independent of
 * Portico's own code.
 */
public final class ConnectWire {
    private ConnectWire() {}

    /** Headers of a Connect unary POST with the given codec ("proto" or "json"). */
    public static HttpHeaders unaryHeaders(String codec) {
        return new DefaultHttpHeaders()
                .set("content-type", "application/" + codec)
                .set("connect-protocol-version", "1");
    }

    /** Headers of a Connect streaming call with the given codec. */
    public static HttpHeaders streamHeaders(String codec) {
        return new DefaultHttpHeaders()
                .set("content-type", "application/connect+" + codec)
                .set("connect-protocol-version", "1");
    }

    /** A streaming envelope: flags, big-endian length, payload. */
    public static byte[] envelope(int flags, byte[] payload) {
        return GrpcWeb.frame(flags, payload);
    }

    public static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    public static JsonObject json(byte[] body) {
        return JsonParser.parseString(new String(body, StandardCharsets.UTF_8)).getAsJsonObject();
    }

    /** A streaming response body: its messages and the end-stream JSON. */
    public record Stream(List<byte[]> messages, List<Boolean> compressed, JsonObject end) {}

    public static Stream parseStream(byte[] body) {
        final ByteBuffer in = ByteBuffer.wrap(body);
        final List<byte[]> messages = new ArrayList<>();
        final List<Boolean> compressed = new ArrayList<>();
        JsonObject end = null;
        while (in.hasRemaining()) {
            final int flags = in.get() & 0xff;
            final byte[] payload = new byte[in.getInt()];
            in.get(payload);
            if ((flags & 0x02) != 0) {
                if (end != null) {
                    throw new AssertionError("two end-stream messages");
                }
                end = json(payload);
            } else {
                if (end != null) {
                    throw new AssertionError("a message after the end-stream message");
                }
                messages.add(payload);
                compressed.add((flags & 0x01) != 0);
            }
        }
        if (end == null) {
            throw new AssertionError("no end-stream message");
        }
        return new Stream(messages, compressed, end);
    }
}
