package dev.portico.proxy.wire;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.ByteBuffer;
import java.util.Base64;

/**
 * How framed bytes travel in an HTTP body. gRPC-Web text is {@link EnvelopeFormat#GRPC_WEB} plus
 * {@link #BASE64}: a body encoding, not a protocol of its own. The inverse of {@link #BASE64} is
 * {@link Base64StreamDecoder}.
 */
public enum BodyEncoding {
    /** The frames are the body. */
    IDENTITY,
    /**
     * Each call to {@link #encode} yields one padded base64 segment. PROTOCOL-WEB.md allows padding wherever
     * the sender flushes, so encoding frame by frame produces a valid text body.
     */
    BASE64;

    /**
     * Encodes {@code frame} for the body.
     *
     * <p>Takes ownership of {@code frame}, also when it throws. The caller must release the result.
     * {@link #IDENTITY} returns {@code frame} itself; {@link #BASE64} returns a new buffer in the standard
     * alphabet, padded, without line breaks.
     */
    public ByteBuf encode(ByteBufAllocator alloc, ByteBuf frame) {
        requireNonNull(frame, "frame");
        return switch (this) {
            case IDENTITY -> frame;
            case BASE64 -> encodeBase64(alloc, frame);
        };
    }

    /** Bytes encoded at a time: a multiple of 3, so that only the last block can end in padding. */
    private static final int BASE64_BLOCK = 48 * 1024;

    /**
     * The JDK's encoder, a block of the frame at a time through a small array: it works on arrays in blocks
     * (a JIT intrinsic where the CPU has one), about 6× faster than Netty's byte-at-a-time
     * {@code Base64.encode} on a 1 KiB message, and a large message needs no array of its whole size.
     */
    private static ByteBuf encodeBase64(ByteBufAllocator alloc, ByteBuf frame) {
        ByteBuf text = null;
        boolean ok = false;
        try {
            requireNonNull(alloc, "alloc");
            final Base64.Encoder encoder = Base64.getEncoder();
            final int length = frame.readableBytes();
            text = alloc.buffer((length + 2) / 3 * 4);
            final byte[] block = new byte[Math.min(length, BASE64_BLOCK)];
            for (int at = frame.readerIndex(), end = at + length; at < end; at += BASE64_BLOCK) {
                final int size = Math.min(BASE64_BLOCK, end - at);
                frame.getBytes(at, block, 0, size);
                text.writeBytes(encoder.encode(ByteBuffer.wrap(block, 0, size)));
            }
            ok = true;
            return text;
        } finally {
            frame.release();
            if (!ok && text != null) {
                text.release();
            }
        }
    }
}
