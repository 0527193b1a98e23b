package dev.portico.proxy.call;

import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Response messages as pooled buffers: one copy out of grpc-java's buffers, straight into a heap buffer
 * from Portico's allocator. grpc-java parses on the call's executor (the client's event loop) and hands the
 * result to the listener at once, which then owns it. The allocator is the one the front end writes with,
 * so one pool serves both directions.
 */
final class ByteBufMarshaller implements MethodDescriptor.Marshaller<ByteBuf> {
    static final ByteBufMarshaller INSTANCE = new ByteBufMarshaller(ByteBufAllocator.DEFAULT);

    private final ByteBufAllocator alloc;

    private ByteBufMarshaller(ByteBufAllocator alloc) {
        this.alloc = alloc;
    }

    @Override
    public InputStream stream(ByteBuf value) {
        throw new UnsupportedOperationException("Portico only receives ByteBuf messages");
    }

    /** The caller must release the result. */
    @Override
    public ByteBuf parse(InputStream stream) {
        try (stream) {
            if (!(stream instanceof KnownLength)) {
                return Unpooled.wrappedBuffer(stream.readAllBytes());
            }
            final int length = stream.available();
            final ByteBuf message = alloc.heapBuffer(length, length);
            boolean ok = false;
            try {
                while (message.isWritable()) {
                    if (message.writeBytes(stream, message.writableBytes()) < 0) {
                        throw new IOException("message ended after " + message.readableBytes() + " of "
                                              + length + " bytes");
                    }
                }
                ok = true;
                return message;
            } finally {
                if (!ok) {
                    message.release();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading a message from grpc-java", e);
        }
    }
}
