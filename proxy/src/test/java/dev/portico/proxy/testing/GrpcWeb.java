package dev.portico.proxy.testing;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * gRPC-Web as a test client writes and reads it, written out independently of Portico's own codecs so
 * that the tests check them rather than repeat them (PROTOCOL-WEB.md).
 */
public final class GrpcWeb {
    public static final String PROTO = "application/grpc-web+proto";
    public static final String TEXT = "application/grpc-web-text";

    private GrpcWeb() {}

    /** The 5-byte envelope (flag 0, big-endian length) and the message. */
    public static byte[] frame(MessageLite message) {
        return frame(0, message.toByteArray());
    }

    public static byte[] frame(int flags, byte[] payload) {
        return ByteBuffer.allocate(5 + payload.length).put((byte) flags).putInt(payload.length).put(payload).array();
    }

    public static byte[] concat(byte[]... parts) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    public static byte[] base64(byte[] bytes) {
        return Base64.getEncoder().encode(bytes);
    }

    /**
     * Decodes a gRPC-Web text body that may be several padded base64 segments back to back, as servers
     * that encode per flush produce.
     */
    public static byte[] decodeText(byte[] body) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final String text = new String(body, StandardCharsets.US_ASCII);
        int start = 0;
        for (int i = 0; i < text.length(); i += 4) {
            final int end = Math.min(i + 4, text.length());
            if (text.substring(i, end).contains("=") || end == text.length()) {
                out.writeBytes(Base64.getDecoder().decode(text.substring(start, end)));
                start = end;
            }
        }
        return out.toByteArray();
    }

    /** A response body split into its data messages and its trailer frame. */
    public record Body(List<byte[]> messages, HttpHeaders trailers, int trailerFrames) {
        public <T extends MessageLite> List<T> messages(Parser<T> parser) throws InvalidProtocolBufferException {
            final List<T> parsed = new ArrayList<>();
            for (byte[] message : messages) {
                parsed.add(parser.parseFrom(message));
            }
            return parsed;
        }

        public String trailer(String name) {
            return trailers.get(name);
        }
    }

    /** Parses a binary gRPC-Web body; fails on a frame that runs past the body's end. */
    public static Body parse(byte[] body) {
        final ByteBuffer in = ByteBuffer.wrap(body);
        final List<byte[]> messages = new ArrayList<>();
        final HttpHeaders trailers = new DefaultHttpHeaders();
        int trailerFrames = 0;
        while (in.hasRemaining()) {
            if (in.remaining() < 5) {
                throw new AssertionError("a partial frame header at the end of the body");
            }
            final int flags = in.get() & 0xff;
            final byte[] payload = new byte[in.getInt()];
            in.get(payload);
            if ((flags & 0x80) != 0) {
                trailerFrames++;
                for (String line : new String(payload, StandardCharsets.US_ASCII).split("\r\n")) {
                    if (!line.isEmpty()) {
                        final int colon = line.indexOf(':');
                        trailers.add(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
                    }
                }
            } else {
                if (trailerFrames > 0) {
                    throw new AssertionError("a message after the trailer frame");
                }
                messages.add(payload);
            }
        }
        return new Body(messages, trailers, trailerFrames);
    }

    /** Every test transport without TLS × both modes ({@link #PROTO}, {@link #TEXT}), for parameterised tests. */
    public static Stream<Arguments> transportsAndModes() {
        final List<Arguments> combinations = new ArrayList<>();
        for (Transport transport : List.of(Transport.HTTP1, Transport.H2C)) {
            for (String mode : List.of(PROTO, TEXT)) {
                combinations.add(Arguments.of(transport, mode));
            }
        }
        return combinations.stream();
    }

    /** Request headers of a gRPC-Web client in the given mode. */
    public static HttpHeaders headers(String contentType) {
        return new DefaultHttpHeaders()
                .set("content-type", contentType)
                .set("accept", contentType)
                .set("x-grpc-web", "1")
                .set("x-user-agent", "portico-tests/1");
    }
}
