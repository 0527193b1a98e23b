package dev.portico.proxy.wire;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;

/**
 * A body that is one message with no envelope (Connect unary, Connect GET): the bytes are collected up to
 * a limit and delivered as one message once the body ends and a message was requested.
 */
public final class WholeBodyDeframer implements Deframer {
    private final int maxMessageBytes;
    private final boolean compressed;
    private final MessageDeframer.Listener listener;
    private final CompositeByteBuf body;
    private boolean ended;
    private boolean delivered;
    private boolean closed;
    private int demand;

    /** {@code compressed}: the body is compressed (a zero-length body never counts as compressed). */
    public WholeBodyDeframer(ByteBufAllocator alloc, int maxMessageBytes, boolean compressed,
                             MessageDeframer.Listener listener) {
        this.maxMessageBytes = maxMessageBytes;
        this.compressed = compressed;
        this.listener = requireNonNull(listener, "listener");
        this.body = alloc.compositeBuffer(Integer.MAX_VALUE);
    }

    @Override
    public void feed(ByteBuf chunk) throws ProtocolException {
        if (closed || ended) {
            chunk.release();
            if (ended && !closed) {
                throw new IllegalStateException("input after the end of the body");
            }
            return;
        }
        if ((long) body.readableBytes() + chunk.readableBytes() > maxMessageBytes) {
            final long size = (long) body.readableBytes() + chunk.readableBytes();
            chunk.release();
            close();
            throw new ProtocolException(RpcCode.RESOURCE_EXHAUSTED,
                                        "message of at least " + size + " bytes is over the limit of "
                                        + maxMessageBytes + " bytes");
        }
        if (chunk.isReadable()) {
            body.addComponent(true, chunk);
        } else {
            chunk.release();
        }
    }

    @Override
    public void request(int n) {
        demand += n;
        deliver();
    }

    @Override
    public void endOfInput() {
        ended = true;
        deliver();
    }

    private void deliver() {
        if (ended && demand > 0 && !delivered && !closed) {
            delivered = true;
            demand--;
            // The listener owns the message from here; close() no longer releases it.
            listener.onMessage(body, compressed && body.isReadable());
        }
    }

    /** The whole body is one message: owed until it ends. */
    @Override
    public boolean holdsPartialMessage() {
        return !ended;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (!delivered) {
                body.release();
            }
        }
    }
}
