package dev.portico.proxy.wire;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;

/**
 * Wraps one message in the 5-byte envelope shared by gRPC, gRPC-Web and Connect streaming:
 * a flag byte, a 4-byte big-endian length, then the message (PROTOCOL-HTTP2.md "Length-Prefixed-Message").
 * Stateless. A small message is copied behind its header into one buffer (one allocation and one write for
 * the layers below, instead of a two-part composite that HTTP/2 and TCP would merge again); a large one is
 * shared, never copied.
 */
public final class MessageFramer {

    /** Size of the envelope header: one flag byte and a 4-byte length. */
    public static final int HEADER_LENGTH = 5;
    /** Messages up to this size are copied into the frame's buffer; larger ones are shared. */
    public static final int COPY_LIMIT = 8 * 1024;

    private MessageFramer() {
    }

    /**
     * Frames {@code message}.
     *
     * <p>Takes ownership of {@code message}, also when it throws; the caller must release the result: one new
     * buffer holding the header and a copy of a message of up to {@link #COPY_LIMIT} bytes, else a composite
     * of a new header buffer and {@code message}.
     *
     * @param compressed sets flag bit {@code 0x01}; the message must already be compressed
     * @param end sets {@code format.endFlag()}: the gRPC-Web trailer frame or the Connect EndStreamResponse
     * @throws IllegalArgumentException if {@code end} is set for {@link EnvelopeFormat#GRPC}, which has no
     *     end frame
     */
    public static ByteBuf frame(ByteBufAllocator alloc, EnvelopeFormat format, ByteBuf message,
                                boolean compressed, boolean end) {
        requireNonNull(message, "message");
        boolean ok = false;
        ByteBuf header = null;
        try {
            requireNonNull(alloc, "alloc");
            requireNonNull(format, "format");
            if (end && !format.hasEndFrame()) {
                throw new IllegalArgumentException(format + " has no end frame");
            }
            final int flags = flags(format, compressed, end);
            final int length = message.readableBytes();
            if (length <= COPY_LIMIT) {
                final ByteBuf frame = alloc.buffer(HEADER_LENGTH + length, HEADER_LENGTH + length);
                frame.writeByte(flags).writeInt(length).writeBytes(message);
                message.release();
                ok = true;
                return frame;
            }
            header = alloc.buffer(HEADER_LENGTH, HEADER_LENGTH);
            header.writeByte(flags);
            header.writeInt(length);
            final CompositeByteBuf out = alloc.compositeBuffer(2);
            // From here the composite owns both buffers: addComponents releases them itself if it fails.
            ok = true;
            return out.addComponents(true, header, message);
        } finally {
            if (!ok) {
                message.release();
                if (header != null) {
                    header.release();
                }
            }
        }
    }

    /**
     * Writes {@code message}, framed (not an end frame), at the end of {@code out}, which must have room for
     * {@link #HEADER_LENGTH} bytes more than the message: a message copied once, into a buffer that batches
     * several. Takes ownership of {@code message}, also when it throws.
     *
     * @param compressed sets flag bit {@code 0x01}; the message must already be compressed
     * @throws IndexOutOfBoundsException if {@code out} cannot grow enough, leaving it as it was
     */
    public static void frameInto(ByteBuf out, EnvelopeFormat format, ByteBuf message, boolean compressed) {
        requireNonNull(message, "message");
        try {
            requireNonNull(out, "out");
            final int length = message.readableBytes();
            out.ensureWritable(HEADER_LENGTH + length);
            out.writeByte(flags(format, compressed, false)).writeInt(length).writeBytes(message);
        } finally {
            message.release();
        }
    }

    private static int flags(EnvelopeFormat format, boolean compressed, boolean end) {
        final int flags = compressed ? EnvelopeFormat.COMPRESSED_FLAG : 0;
        return end ? flags | format.endFlag() : flags;
    }
}
