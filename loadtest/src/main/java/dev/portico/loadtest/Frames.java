package dev.portico.loadtest;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/** Splits a gRPC or gRPC-Web response body into its frames, for the first-call check. */
final class Frames {
    private Frames() {}

    /** One length-prefixed frame; {@code flags & 0x80} marks the gRPC-Web trailer frame. */
    record Frame(int flags, byte[] data) {
        boolean trailer() {
            return (flags & 0x80) != 0;
        }

        String text() {
            return new String(data, StandardCharsets.ISO_8859_1);
        }
    }

    static List<Frame> parse(byte[] body) {
        final List<Frame> frames = new ArrayList<>();
        int at = 0;
        while (at < body.length) {
            if (body.length - at < 5) {
                throw new IllegalStateException("partial frame header at byte " + at);
            }
            final int flags = body[at] & 0xff;
            final int length = ((body[at + 1] & 0xff) << 24) | ((body[at + 2] & 0xff) << 16)
                               | ((body[at + 3] & 0xff) << 8) | (body[at + 4] & 0xff);
            if (length < 0 || length > body.length - at - 5) {
                throw new IllegalStateException("frame at byte " + at + " claims " + length + " bytes, body has "
                                                + (body.length - at - 5));
            }
            final byte[] data = new byte[length];
            System.arraycopy(body, at + 5, data, 0, length);
            frames.add(new Frame(flags, data));
            at += 5 + length;
        }
        return frames;
    }

    /**
     * Decodes a gRPC-Web text body. Servers encode each frame on its own, so padding may appear mid-body;
     * base64 quanta are independent, so decoding four characters at a time handles that.
     */
    static byte[] decodeText(byte[] text) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(text.length);
        final StringBuilder quantum = new StringBuilder(4);
        final Base64.Decoder decoder = Base64.getDecoder();
        for (byte b : text) {
            if (b == '\r' || b == '\n' || b == ' ') {
                continue;
            }
            quantum.append((char) b);
            if (quantum.length() == 4) {
                out.writeBytes(decoder.decode(quantum.toString()));
                quantum.setLength(0);
            }
        }
        if (quantum.length() != 0) {
            throw new IllegalStateException("base64 body length is not a multiple of 4");
        }
        return out.toByteArray();
    }
}
