package dev.portico.loadtest;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import com.google.protobuf.MessageLite;
import com.google.protobuf.util.JsonFormat;
import dev.portico.loadtest.v1.EchoRequest;
import dev.portico.loadtest.v1.StreamRequest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

/**
 * The request bodies the load tools send, generated from the benchmark proto: a gRPC frame (flag byte 0,
 * 4-byte big-endian length, the serialized message) for native gRPC and gRPC-Web binary, its base64 for
 * gRPC-Web text (PROTOCOL-WEB.md: text mode is the same frames, base64-encoded), and for Connect unary the
 * bare message, binary or in the proto3 JSON mapping.
 */
final class RequestBodies {
    private RequestBodies() {}

    public static void main(String[] args) throws IOException {
        final Path dir = Path.of(args.length > 0 ? args[0] : ".");
        Files.createDirectories(dir);
        write(dir, "echo-100", echo(100));
        write(dir, "stream-1000x1024", stream(1000, 1024, 0));
        System.out.println("bodies written to " + dir);
    }

    /** An Echo request with a payload of {@code size} bytes (a repeating pattern, not zeros). */
    static EchoRequest echo(int size) {
        final byte[] payload = new byte[size];
        for (int i = 0; i < size; i++) {
            payload[i] = (byte) ('a' + i % 26);
        }
        return EchoRequest.newBuilder().setPayload(ByteString.copyFrom(payload)).build();
    }

    static StreamRequest stream(int count, int size, int holdMs) {
        return StreamRequest.newBuilder().setCount(count).setSize(size).setHoldMs(holdMs).build();
    }

    /** The 5-byte gRPC frame header followed by the serialized message. */
    static byte[] frame(MessageLite message) {
        final byte[] body = message.toByteArray();
        return ByteBuffer.allocate(5 + body.length).put((byte) 0).putInt(body.length).put(body).array();
    }

    /** Writes {@code NAME} plus each format's suffix ({@link Variant.Format#bodySuffix}). */
    static void write(Path dir, String name, Message message) throws IOException {
        final byte[] framed = frame(message);
        Files.write(dir.resolve(name + Variant.Format.GRPC.bodySuffix), framed);
        Files.write(dir.resolve(name + Variant.Format.GRPC_WEB_TEXT.bodySuffix), Base64.getEncoder().encode(framed));
        Files.write(dir.resolve(name + Variant.Format.CONNECT_PROTO.bodySuffix), message.toByteArray());
        Files.writeString(dir.resolve(name + Variant.Format.CONNECT_JSON.bodySuffix),
                          JsonFormat.printer().omittingInsignificantWhitespace().print(message));
    }
}
