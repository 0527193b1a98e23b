package dev.portico.proxy.wire;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.Arrays;

/**
 * Decodes a gRPC-Web text body ({@code application/grpc-web-text}) as it arrives, chunk by chunk.
 *
 * <p>PROTOCOL-WEB.md: the body "is not necessarily a valid base64-encoded entity": senders pad whenever they
 * flush, so padding may appear mid-stream. Each padded quantum ends a segment and the next character starts a
 * fresh quantum; {@code base64("ab") + base64("cde")} decodes to {@code "abcde"}. The alphabet is the standard
 * one (RFC 4648 §4). CR, LF and space are skipped anywhere. An unpadded tail of 2 or 3 characters is accepted
 * at the end of the body, as RFC 4648 §3.2 permits when the length is known.
 *
 * <p>Between calls at most 3 characters of an incomplete quantum are held, as their 6-bit values in an
 * {@code int}: the decoder holds no buffers and needs no closing. Not thread-safe.
 */
public final class Base64StreamDecoder {

    private static final byte INVALID = -1;
    private static final byte SKIP = -2;
    private static final byte PAD = -3;
    private static final byte[] DECODE = new byte[256];

    static {
        Arrays.fill(DECODE, INVALID);
        final String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int i = 0; i < alphabet.length(); i++) {
            DECODE[alphabet.charAt(i)] = (byte) i;
        }
        DECODE['\r'] = SKIP;
        DECODE['\n'] = SKIP;
        DECODE[' '] = SKIP;
        DECODE['='] = PAD;
    }

    /** Sextets of the current quantum, most recent in the low bits. */
    private int quantum;
    /** Characters in {@link #quantum}: 0–3 between calls. */
    private int count;
    /** A quantum of 2 characters was followed by one '='; the next character must be the second '='. */
    private boolean awaitingSecondPad;
    /** Characters consumed so far, for error messages. */
    private long offset;
    private boolean finished;

    /**
     * Decodes {@code chunk} as far as whole quanta allow.
     *
     * <p>Takes ownership of {@code chunk}, also when it throws. The caller must release the result, which may
     * be empty.
     *
     * @throws ProtocolException with {@link RpcCode#INVALID_ARGUMENT}, naming the offset in the body, for a
     *     character outside the alphabet or an '=' where padding cannot be
     * @throws IllegalStateException if called after {@link #finish}
     */
    public ByteBuf decode(ByteBufAllocator alloc, ByteBuf chunk) throws ProtocolException {
        requireNonNull(chunk, "chunk");
        ByteBuf out = null;
        boolean ok = false;
        try {
            requireNonNull(alloc, "alloc");
            if (finished) {
                throw new IllegalStateException("decode() after finish()");
            }
            final int readable = chunk.readableBytes();
            // Every 4 characters, counting the up to 3 held over, yield at most 3 bytes; rounding up covers
            // a held "xx" or "xxx" that a leading '=' completes.
            out = alloc.buffer((int) (((count + (long) readable) * 3 + 3) / 4));
            final int start = chunk.readerIndex();
            for (int i = 0; i < readable; i++) {
                accept(chunk.getByte(start + i) & 0xFF, out);
            }
            ok = true;
            return out;
        } finally {
            chunk.release();
            if (!ok && out != null) {
                out.release();
            }
        }
    }

    /**
     * Ends the body: a held quantum of 2 or 3 characters is decoded as an unpadded final quantum.
     * The caller must release the result, which may be empty.
     *
     * @throws ProtocolException with {@link RpcCode#INVALID_ARGUMENT} if 1 character is left over, or if a
     *     quantum ended with a single '=' where two were needed
     * @throws IllegalStateException if called twice
     */
    public ByteBuf finish(ByteBufAllocator alloc) throws ProtocolException {
        requireNonNull(alloc, "alloc");
        if (finished) {
            throw new IllegalStateException("finish() called twice");
        }
        finished = true;
        if (awaitingSecondPad) {
            throw invalid("missing second '=' at offset " + offset + ", the end of the body");
        }
        if (count == 1) {
            throw invalid("truncated base64: 1 character left over at the end of the body (offset " +
                          offset + ')');
        }
        final ByteBuf out = alloc.buffer(count == 0 ? 0 : count - 1);
        boolean ok = false;
        try {
            flushPartial(out);
            ok = true;
            return out;
        } finally {
            if (!ok) {
                out.release();
            }
        }
    }

    private void accept(int c, ByteBuf out) throws ProtocolException {
        final byte value = DECODE[c];
        final long at = offset++;
        if (value == SKIP) {
            return;
        }
        if (awaitingSecondPad) {
            if (value != PAD) {
                throw invalid(describe(c) + " at offset " + at + " where the second '=' was expected");
            }
            awaitingSecondPad = false;
            return;
        }
        if (value >= 0) {
            quantum = quantum << 6 | value;
            if (++count == 4) {
                out.writeMedium(quantum);
                quantum = 0;
                count = 0;
            }
            return;
        }
        if (value == PAD) {
            // RFC 4648 §4: "xx==" carries 1 byte and "xxx=" 2 bytes; '=' cannot follow 0 or 1 characters.
            if (count < 2) {
                throw invalid("unexpected '=' at offset " + at);
            }
            awaitingSecondPad = count == 2;
            flushPartial(out);
            return;
        }
        throw invalid(describe(c) + " at offset " + at);
    }

    /** Writes the bytes of a quantum of 2 or 3 characters (padded, or unpadded at the end); starts afresh. */
    private void flushPartial(ByteBuf out) {
        if (count == 2) {
            out.writeByte(quantum >>> 4);
        } else if (count == 3) {
            out.writeShort(quantum >>> 2);
        }
        quantum = 0;
        count = 0;
    }

    private static String describe(int c) {
        return c >= 0x21 && c < 0x7F ? "invalid base64 character '" + (char) c + '\''
                                     : String.format("invalid base64 byte 0x%02X", c);
    }

    private static ProtocolException invalid(String message) {
        return new ProtocolException(RpcCode.INVALID_ARGUMENT, message);
    }
}
