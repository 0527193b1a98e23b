package dev.portico.proxy.call;

import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * Request messages as opaque bytes. grpc-java may hold the stream until its transport is ready, so it owns
 * its own array. The stream tells its length and drains in one write: without that, grpc-java copies it
 * through a fresh 8 KiB array per message.
 */
public final class ByteArrayMarshaller implements MethodDescriptor.Marshaller<byte[]> {
    public static final ByteArrayMarshaller INSTANCE = new ByteArrayMarshaller();

    private ByteArrayMarshaller() {}

    @Override
    public InputStream stream(byte[] value) {
        return new MessageStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
        try (stream) {
            return stream.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading a message from grpc-java", e);
        }
    }

    private static final class MessageStream extends ByteArrayInputStream implements Drainable, KnownLength {
        MessageStream(byte[] bytes) {
            super(bytes);
        }

        @Override
        public int drainTo(OutputStream target) throws IOException {
            final int length = count - pos;
            target.write(buf, pos, length);
            pos = count;
            return length;
        }
    }
}
