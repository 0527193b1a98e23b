package dev.portico.proxy.wire;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;

import java.util.ArrayDeque;

/**
 * Splits a byte stream into enveloped messages (flag byte, 4-byte big-endian length, payload). Arbitrary
 * chunking is expected: PROTOCOL-HTTP2.md says DATA frame boundaries bear no relation to message boundaries.
 *
 * <h2>Demand</h2>
 * Messages are delivered only against demand: {@link #request(int)} adds to it and each
 * {@link Listener#onMessage} uses one unit. The end frame of {@link EnvelopeFormat#GRPC_WEB} (trailers) and
 * {@link EnvelopeFormat#CONNECT} (EndStreamResponse) is not a message: it is delivered to
 * {@link Listener#onEndFrame} as soon as every message before it has been, whatever the demand.
 * The deframer never asks for input; callers stop reading while {@link #isStalled()} and so bound what is
 * buffered to one partial frame plus the complete frames that arrived with it.
 *
 * <h2>Validation</h2>
 * Each frame header is checked as soon as its five bytes are in, whatever the demand: a length above
 * {@code maxMessageBytes} fails with {@link RpcCode#RESOURCE_EXHAUSTED} before any of the payload is kept,
 * and flag bits other than {@code 0x01} and the format's end flag fail with {@link RpcCode#INVALID_ARGUMENT}.
 * So does any byte after an end frame, and a partial frame at {@link #endOfInput()}. A failed deframer has
 * released its buffers and is closed.
 *
 * <h2>Reference counting</h2>
 * {@link #feed} always takes ownership of its chunk. Each payload handed to the listener is owned by the
 * listener, which must release it; payloads share memory with the fed chunks where they can (a slice of one
 * chunk, or a composite of slices of up to {@value #MAX_COMPOSITE_PARTS} chunks) and are copied once
 * otherwise. {@link #close()} releases everything still buffered; input fed after it is released at once.
 *
 * <h2>Threads and re-entrance</h2>
 * Not thread-safe: one instance belongs to one call's event loop. The listener may call {@link #request},
 * {@link #feed} or {@link #close} from inside a callback; the outer delivery loop picks up the change, so
 * there is neither recursion nor double delivery (the same guard as grpc-java's deframer).
 */
public final class MessageDeframer implements Deframer {

    /** Receives deframed payloads; each payload is owned by the callee, which must release it. */
    public interface Listener {
        /** One message, with its payload still compressed if {@code compressed} is set. */
        void onMessage(ByteBuf message, boolean compressed);

        /**
         * The end frame's payload: the gRPC-Web trailer block or the Connect EndStreamResponse JSON. Called
         * at most once, never for {@link EnvelopeFormat#GRPC}.
         */
        void onEndFrame(ByteBuf payload);
    }

    /** A payload spread over more chunks than this is copied rather than wrapped in a composite. */
    static final int MAX_COMPOSITE_PARTS = 16;

    private enum State {
        /** Waiting for the five header bytes of the next frame. */
        HEADER,
        /** Header read into {@code flags} and {@code length}; waiting for the payload and for demand. */
        BODY,
        /** The end frame was delivered; nothing may follow. */
        ENDED,
        /** Closed by the caller or by a protocol error; everything is released. */
        CLOSED
    }

    private final EnvelopeFormat format;
    private final int maxMessageBytes;
    private final Listener listener;

    /** Unconsumed input, oldest first; every chunk here is readable. */
    private final ArrayDeque<ByteBuf> chunks = new ArrayDeque<>();
    private long bufferedBytes;
    /** Allocator for payloads that cannot be slices; the last chunk's, so pooled input gives pooled output. */
    private ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;

    private State state = State.HEADER;
    private int flags;
    private int length;
    private long demand;
    private boolean inputEnded;
    private boolean delivering;

    /**
     * Creates a deframer.
     *
     * @param maxMessageBytes the largest payload accepted, for messages and end frames alike
     *     ({@code limits.max-message-bytes})
     */
    public MessageDeframer(EnvelopeFormat format, int maxMessageBytes, Listener listener) {
        this.format = requireNonNull(format, "format");
        this.listener = requireNonNull(listener, "listener");
        if (maxMessageBytes < 0) {
            throw new IllegalArgumentException("maxMessageBytes: " + maxMessageBytes + " (expected >= 0)");
        }
        this.maxMessageBytes = maxMessageBytes;
    }

    /**
     * Adds {@code chunk} to the stream and delivers what the demand allows. Takes ownership of {@code chunk},
     * also when it throws. Once closed, the chunk is released and ignored.
     *
     * @throws ProtocolException if the stream is malformed (see the class comment); the deframer is then closed
     * @throws IllegalStateException if called after {@link #endOfInput()}
     */
    @Override
    public void feed(ByteBuf chunk) throws ProtocolException {
        requireNonNull(chunk, "chunk");
        if (state == State.CLOSED) {
            chunk.release();
            return;
        }
        if (inputEnded) {
            chunk.release();
            throw new IllegalStateException("feed() after endOfInput()");
        }
        final int readable = chunk.readableBytes();
        if (readable == 0) {
            chunk.release();
            return;
        }
        if (state == State.ENDED) {
            chunk.release();
            throw fail(RpcCode.INVALID_ARGUMENT, readable + " bytes after the end frame");
        }
        alloc = chunk.alloc();
        chunks.addLast(chunk);
        bufferedBytes += readable;
        deliver();
    }

    /**
     * Allows {@code n} more messages to be delivered, and delivers those already buffered. {@code request(0)}
     * delivers nothing new. Ignored once closed.
     *
     * @throws ProtocolException if a frame header read while delivering is invalid; the deframer is then
     *     closed
     */
    @Override
    public void request(int n) throws ProtocolException {
        if (n < 0) {
            throw new IllegalArgumentException("n: " + n + " (expected >= 0)");
        }
        if (state == State.CLOSED) {
            return;
        }
        demand = demand > Long.MAX_VALUE - n ? Long.MAX_VALUE : demand + n;
        deliver();
    }

    /**
     * Marks the end of the input. Complete frames still buffered stay deliverable by later
     * {@link #request} calls; only a partial frame is an error. Ignored once closed.
     *
     * @throws ProtocolException with {@link RpcCode#INVALID_ARGUMENT} ("truncated frame: …") if the input ends
     *     inside a frame; the deframer is then closed
     */
    @Override
    public void endOfInput() throws ProtocolException {
        if (state == State.CLOSED || inputEnded) {
            return;
        }
        inputEnded = true;
        if (state == State.ENDED && bufferedBytes > 0) {
            // Possible only when called from onEndFrame, before the delivery loop has looked.
            throw fail(RpcCode.INVALID_ARGUMENT, bufferedBytes + " bytes after the end frame");
        }
        // Walk the frames still buffered: each must be whole. Only lengths are read here; flags and the size
        // limit are checked as delivery reaches each frame.
        long offset = 0;
        if (state == State.BODY) {
            if (bufferedBytes < length) {
                throw truncated(MessageFramer.HEADER_LENGTH + bufferedBytes,
                                MessageFramer.HEADER_LENGTH + length);
            }
            offset = length;
        }
        while (offset < bufferedBytes) {
            final long left = bufferedBytes - offset;
            if (left < MessageFramer.HEADER_LENGTH) {
                throw truncated(left, MessageFramer.HEADER_LENGTH);
            }
            final long frameLength = MessageFramer.HEADER_LENGTH + peekUnsignedInt(offset + 1);
            if (left < frameLength) {
                throw truncated(left, frameLength);
            }
            offset += frameLength;
        }
    }

    @Override
    public boolean holdsPartialMessage() {
        // Complete messages are delivered while there is demand: what stays buffered then is a partial one.
        return state != State.CLOSED && bufferedBytes > 0 && !isStalled();
    }

    /** Whether a complete message is buffered but cannot be delivered for lack of demand. */
    public boolean isStalled() {
        return state == State.BODY && demand == 0 && bufferedBytes >= length && !isEndFrame(flags);
    }

    /** Releases everything buffered. Idempotent; later input is released on arrival. */
    @Override
    public void close() {
        state = State.CLOSED;
        bufferedBytes = 0;
        while (!chunks.isEmpty()) {
            chunks.pollFirst().release();
        }
    }

    /**
     * The delivery loop. Re-entrant calls (a listener calling request or feed) return at once; the outer
     * loop sees their effect on its next pass.
     */
    private void deliver() throws ProtocolException {
        if (delivering) {
            return;
        }
        delivering = true;
        try {
            while (true) {
                switch (state) {
                    case HEADER:
                        if (bufferedBytes < MessageFramer.HEADER_LENGTH) {
                            return;
                        }
                        readHeader();
                        break;
                    case BODY:
                        if (bufferedBytes < length) {
                            return;
                        }
                        if (isEndFrame(flags)) {
                            final ByteBuf payload = readPayload(length);
                            // State first: the listener may close the deframer or feed it more.
                            state = State.ENDED;
                            listener.onEndFrame(payload);
                        } else {
                            if (demand == 0) {
                                return;
                            }
                            final ByteBuf message = readPayload(length);
                            demand--;
                            state = State.HEADER;
                            listener.onMessage(message, (flags & EnvelopeFormat.COMPRESSED_FLAG) != 0);
                        }
                        break;
                    case ENDED:
                        if (bufferedBytes > 0) {
                            throw fail(RpcCode.INVALID_ARGUMENT, bufferedBytes + " bytes after the end frame");
                        }
                        return;
                    case CLOSED:
                        return;
                    default:
                        throw new AssertionError("unexpected " + state);
                }
            }
        } finally {
            delivering = false;
        }
    }

    private void readHeader() throws ProtocolException {
        final int flagByte;
        final long payloadLength;
        final ByteBuf first = chunks.peekFirst();
        if (first.readableBytes() >= MessageFramer.HEADER_LENGTH) {
            flagByte = first.readUnsignedByte();
            payloadLength = first.readUnsignedInt();
            consumed(first, MessageFramer.HEADER_LENGTH);
        } else {
            flagByte = readUnsignedByte();
            long value = 0;
            for (int i = 0; i < 4; i++) {
                value = value << 8 | readUnsignedByte();
            }
            payloadLength = value;
        }
        // PROTOCOL-WEB.md: only the MSB marks trailers; Connect spec: the upper six bits are reserved;
        // PROTOCOL-HTTP2.md: Compressed-Flag is 0 or 1.
        if ((flagByte & format.reservedBits()) != 0) {
            throw fail(RpcCode.INVALID_ARGUMENT,
                       String.format("reserved flag bits set in %s frame header: 0x%02X", format, flagByte));
        }
        // Checked before any payload is kept: an oversized frame is never buffered.
        if (payloadLength > maxMessageBytes) {
            throw fail(RpcCode.RESOURCE_EXHAUSTED, "message of " + payloadLength +
                                                   " bytes exceeds the limit of " + maxMessageBytes + " bytes");
        }
        flags = flagByte;
        length = (int) payloadLength;
        state = State.BODY;
    }

    /** Takes {@code size} bytes off the front of the input; the caller owns the result. */
    private ByteBuf readPayload(int size) {
        if (size == 0) {
            return alloc.buffer(0);
        }
        final ByteBuf first = chunks.peekFirst();
        if (first.readableBytes() >= size) {
            final ByteBuf slice = first.readRetainedSlice(size);
            consumed(first, size);
            return slice;
        }
        final boolean copy = partsSpanned(size) > MAX_COMPOSITE_PARTS;
        final ByteBuf out = copy ? alloc.buffer(size, size) : alloc.compositeBuffer(MAX_COMPOSITE_PARTS);
        boolean ok = false;
        try {
            int remaining = size;
            while (remaining > 0) {
                final ByteBuf chunk = chunks.peekFirst();
                final int n = Math.min(remaining, chunk.readableBytes());
                if (copy) {
                    out.writeBytes(chunk, n);
                } else {
                    ((CompositeByteBuf) out).addComponent(true, chunk.readRetainedSlice(n));
                }
                consumed(chunk, n);
                remaining -= n;
            }
            ok = true;
            return out;
        } finally {
            if (!ok) {
                out.release();
            }
        }
    }

    private int partsSpanned(int size) {
        int parts = 0;
        long covered = 0;
        for (ByteBuf chunk : chunks) {
            parts++;
            covered += chunk.readableBytes();
            if (covered >= size) {
                break;
            }
        }
        return parts;
    }

    private int readUnsignedByte() {
        final ByteBuf first = chunks.peekFirst();
        final int value = first.readUnsignedByte();
        consumed(first, 1);
        return value;
    }

    /** Accounts for {@code n} bytes read from {@code chunk}, the head of the queue, dropping it when empty. */
    private void consumed(ByteBuf chunk, int n) {
        bufferedBytes -= n;
        if (!chunk.isReadable()) {
            chunks.removeFirst();
            chunk.release();
        }
    }

    /** The big-endian unsigned int at {@code offset} bytes into the buffered input, without consuming it. */
    private long peekUnsignedInt(long offset) {
        long value = 0;
        for (int i = 0; i < 4; i++) {
            value = value << 8 | peekUnsignedByte(offset + i);
        }
        return value;
    }

    private int peekUnsignedByte(long offset) {
        long skip = offset;
        for (ByteBuf chunk : chunks) {
            final int readable = chunk.readableBytes();
            if (skip < readable) {
                return chunk.getUnsignedByte(chunk.readerIndex() + (int) skip);
            }
            skip -= readable;
        }
        throw new IndexOutOfBoundsException("offset " + offset + " beyond " + bufferedBytes +
                                            " buffered bytes");
    }

    private boolean isEndFrame(int flagByte) {
        return (flagByte & format.endFlag()) != 0;
    }

    private ProtocolException truncated(long have, long need) {
        return fail(RpcCode.INVALID_ARGUMENT,
                    "truncated frame: " + have + " bytes of " + need + " at end of input");
    }

    /** Closes the deframer, releasing its buffers, and returns the exception for the caller to throw. */
    private ProtocolException fail(RpcCode code, String message) {
        close();
        return new ProtocolException(code, message);
    }
}
