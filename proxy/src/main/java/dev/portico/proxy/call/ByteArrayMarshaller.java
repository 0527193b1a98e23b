package dev.portico.proxy.call;

import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Request messages as opaque bytes. grpc-java reads the length of a {@link ByteArrayInputStream} without
 * copying it again, and may hold the stream until its transport is ready, so it owns its own array.
 */
final class ByteArrayMarshaller implements MethodDescriptor.Marshaller<byte[]> {
    static final ByteArrayMarshaller INSTANCE = new ByteArrayMarshaller();

    private ByteArrayMarshaller() {}

    @Override
    public InputStream stream(byte[] value) {
        return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
        try (stream) {
            return stream.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading a message from grpc-java", e);
        }
    }
}
