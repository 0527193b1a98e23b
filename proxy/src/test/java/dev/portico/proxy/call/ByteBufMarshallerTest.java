package dev.portico.proxy.call;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.internal.CompositeReadableBuffer;
import io.grpc.internal.ForwardingReadableBuffer;
import io.grpc.internal.ReadableBuffer;
import io.grpc.internal.ReadableBuffers;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Response messages come out of grpc-java without a copy: the buffer Portico gets is a view of the very bytes
 * grpc-java read, in as many pieces as they arrived, and grpc-java's buffers are given back (closed) when that
 * view is released, not before. grpc-java's streams are made here as grpc-netty makes them
 * ({@code ReadableBuffers.openStream} over a composite of the frames' buffers).
 */
class ByteBufMarshallerTest {

    @Test
    void aMessageInTwoPiecesIsAViewOfGrpcJavasBuffersUntilReleased() throws Exception {
        final ByteBuffer first = direct("hello, ");
        final ByteBuffer second = direct("world");
        final AtomicInteger closed = new AtomicInteger();
        final CompositeReadableBuffer frames = new CompositeReadableBuffer();
        frames.addBuffer(counting(ReadableBuffers.wrap(first), closed));
        frames.addBuffer(counting(ReadableBuffers.wrap(second), closed));
        final InputStream stream = ReadableBuffers.openStream(frames, true);

        final ByteBuf message = ByteBufMarshaller.INSTANCE.parse(stream);
        // grpc-java closes the stream it handed over once parse returns: the message was detached from it.
        stream.close();

        assertThat(message.toString(StandardCharsets.UTF_8)).isEqualTo("hello, world");
        assertThat(closed).hasValue(0);
        second.put(0, (byte) 'W'); // The same memory: a change to grpc-java's buffer shows in the message.
        assertThat(message.toString(StandardCharsets.UTF_8)).isEqualTo("hello, World");
        assertThat(message.release()).isTrue();
        assertThat(closed).hasValue(2);
    }

    @Test
    void anEmptyMessageGivesItsBuffersBackAtOnce() throws Exception {
        final AtomicInteger closed = new AtomicInteger();
        final InputStream stream = ReadableBuffers.openStream(counting(ReadableBuffers.wrap(direct("")), closed),
                                                              true);

        final ByteBuf message = ByteBufMarshaller.INSTANCE.parse(stream);

        assertThat(message.readableBytes()).isZero();
        assertThat(closed).hasValue(1);
    }

    @Test
    void aStreamThatCannotBeDetachedIsCopiedAndClosed() throws Exception {
        final AtomicInteger closed = new AtomicInteger();
        final InputStream stream = new ByteArrayInputStream("copied".getBytes(StandardCharsets.UTF_8)) {
            @Override
            public void close() {
                closed.incrementAndGet();
            }
        };

        final ByteBuf message = ByteBufMarshaller.INSTANCE.parse(stream);

        assertThat(closed).hasValue(1);
        assertThat(ByteBufUtil.getBytes(message)).isEqualTo("copied".getBytes(StandardCharsets.UTF_8));
        assertThat(message.release()).isTrue();
    }

    private static ByteBuffer direct(String text) {
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
    }

    private static ReadableBuffer counting(ReadableBuffer buffer, AtomicInteger closed) {
        return new ForwardingReadableBuffer(buffer) {
            @Override
            public void close() {
                closed.incrementAndGet();
                super.close();
            }
        };
    }
}
