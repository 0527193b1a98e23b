package dev.portico.proxy.wire;

/**
 * The three variants of the 5-byte length-prefixed envelope. They share the layout (flag byte, then a 4-byte
 * big-endian length) and bit {@code 0x01} meaning "compressed"; they differ only in which flag bit, if any,
 * marks the final frame. One framer and one deframer serve all three.
 */
public enum EnvelopeFormat {
    /** PROTOCOL-HTTP2.md: Compressed-Flag is 0 or 1; there is no end frame (status travels in trailers). */
    GRPC(0x00),
    /** PROTOCOL-WEB.md: the MSB of the flag byte marks the trailer frame ({@code 0x80}, or {@code 0x81}). */
    GRPC_WEB(0x80),
    /** Connect spec: bit {@code 0x02} marks the EndStreamResponse JSON; the upper six bits are reserved. */
    CONNECT(0x02);

    /** Flag bit meaning "the payload is compressed", in every format. */
    public static final int COMPRESSED_FLAG = 0x01;

    private final int endFlag;

    EnvelopeFormat(int endFlag) {
        this.endFlag = endFlag;
    }

    /** The flag bit that marks the final frame, or {@code 0} when the format has no end frame. */
    public int endFlag() {
        return endFlag;
    }

    /** Whether this format has an end frame ({@link #endFlag()} is not zero). */
    public boolean hasEndFrame() {
        return endFlag != 0;
    }

    /** The flag bits that must be zero in this format: everything but compressed and the end flag. */
    int reservedBits() {
        return 0xFF & ~(COMPRESSED_FLAG | endFlag);
    }
}
