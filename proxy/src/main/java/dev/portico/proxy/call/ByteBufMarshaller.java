package dev.portico.proxy.call;

import io.grpc.Detachable;
import io.grpc.HasByteBuffer;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * Response messages as buffers, without copying them out of grpc-java when it allows: grpc-netty hands a
 * message over as a stream over the Netty buffers it read it into ({@link Detachable}, {@link HasByteBuffer});
 * the message detached from grpc-java becomes a {@link ByteBuf} over those very bytes, and releasing it gives
 * them back to grpc-netty. Any other stream (a decompressed one, say) is copied once into a pooled buffer.
 *
 * <p>grpc-java parses on the call's executor (the client's event loop) and hands the result to the listener
 * at once, which then owns it. grpc-java's inbound flow control counts the bytes as read when the message is
 * parsed, not when it is released: the call's response window ({@code ProxyCall}) bounds what is held.
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
        try {
            if (stream instanceof Detachable detachable && stream instanceof HasByteBuffer buffers
                && buffers.byteBufferSupported()) {
                return view(detachable.detach());
            }
            try (stream) {
                return copy(stream);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading a message from grpc-java", e);
        }
    }

    /**
     * A buffer over the bytes of {@code detached} (a stream grpc-java gave up, over its Netty buffers), which
     * closes it when released. Takes ownership of {@code detached}.
     */
    private ByteBuf view(InputStream detached) throws IOException {
        boolean ok = false;
        try {
            final int length = detached.available();
            if (length == 0) {
                return Unpooled.EMPTY_BUFFER; // closed below: nothing to hold
            }
            // Marked, grpc-java keeps the buffers it has been read past until the stream closes, instead of
            // releasing them as it goes: the views below stay valid until then.
            detached.mark(length);
            final CompositeByteBuf message = new ClosingCompositeBuffer(alloc, detached);
            ok = true; // The composite owns the stream from here: releasing it closes the stream.
            try {
                while (detached.available() > 0) {
                    final ByteBuffer piece = ((HasByteBuffer) detached).getByteBuffer();
                    final int size = piece.remaining();
                    message.addComponent(true, Unpooled.wrappedBuffer(piece));
                    if (detached.skip(size) != size) {
                        throw new IOException("grpc-java's buffer skipped fewer than its " + size + " bytes");
                    }
                }
            } catch (IOException | RuntimeException e) {
                message.release();
                throw e;
            }
            return message;
        } finally {
            if (!ok) {
                detached.close();
            }
        }
    }

    private ByteBuf copy(InputStream stream) throws IOException {
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
    }

    /** A composite over views of grpc-java's buffers that gives them back (closes their stream) when freed. */
    private static final class ClosingCompositeBuffer extends CompositeByteBuf {
        private final InputStream owner;

        ClosingCompositeBuffer(ByteBufAllocator alloc, InputStream owner) {
            super(alloc, true, Integer.MAX_VALUE);
            this.owner = owner;
        }

        @Override
        protected void deallocate() {
            try {
                super.deallocate();
            } finally {
                try {
                    owner.close();
                } catch (IOException e) {
                    throw new UncheckedIOException("giving a message's buffers back to grpc-java", e);
                }
            }
        }
    }
}
