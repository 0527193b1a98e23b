package dev.portico.proxy.wire;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The {@code grpc-message} encoding. PROTOCOL-HTTP2.md: the message is UTF-8, then every byte outside
 * {@code %x20-%x24 / %x26-%x7E} (printable ASCII except {@code '%'}) is sent as {@code %XX}; and "when
 * decoding invalid values, implementations MUST NOT error or throw away the message", so {@link #decode}
 * keeps a malformed escape as literal text.
 */
public final class PercentEncoding {

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private PercentEncoding() {
    }

    /** Encodes {@code s} as UTF-8 and escapes the bytes that may not appear in the header as {@code %XX}. */
    public static String encode(String s) {
        if (!needsEscaping(s)) {
            return s;
        }
        final byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        final StringBuilder out = new StringBuilder(utf8.length + 16);
        for (byte b : utf8) {
            final int v = b & 0xFF;
            if (isUnreserved(v)) {
                out.append((char) v);
            } else {
                out.append('%').append(HEX[v >>> 4]).append(HEX[v & 0x0F]);
            }
        }
        return out.toString();
    }

    /**
     * Decodes {@code %XX} escapes (either hex case) and reads the bytes as UTF-8. Never throws: a {@code '%'}
     * not followed by two hex digits is kept literally, and invalid UTF-8 becomes U+FFFD.
     */
    public static String decode(CharSequence s) {
        final int length = s.length();
        final int firstPercent = indexOfPercent(s, 0);
        if (firstPercent == length) {
            return s.toString();
        }
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream(length);
        writeUtf8(bytes, s, 0, firstPercent);
        int i = firstPercent;
        while (i < length) {
            final char c = s.charAt(i);
            if (c == '%' && i + 2 < length) {
                final int hi = hexValue(s.charAt(i + 1));
                final int lo = hexValue(s.charAt(i + 2));
                if (hi >= 0 && lo >= 0) {
                    bytes.write(hi << 4 | lo);
                    i += 3;
                    continue;
                }
            }
            // Not an escape, or not a valid one: keep the text up to the next '%' as it is. A run never
            // splits a surrogate pair, since '%' is not a surrogate.
            final int next = indexOfPercent(s, i + 1);
            writeUtf8(bytes, s, i, next);
            i = next;
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static boolean needsEscaping(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (!isUnreserved(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    // PROTOCOL-HTTP2.md: Percent-Byte-Unencoded → %x20-%x24 / %x26-%x7E.
    private static boolean isUnreserved(int c) {
        return c >= 0x20 && c <= 0x7E && c != '%';
    }

    /** The value of an ASCII hex digit, or -1 ({@link Character#digit} would also accept non-ASCII digits). */
    private static int hexValue(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        return -1;
    }

    /** The index of the first '%' at or after {@code from}, or the length of {@code s} when there is none. */
    private static int indexOfPercent(CharSequence s, int from) {
        for (int i = from; i < s.length(); i++) {
            if (s.charAt(i) == '%') {
                return i;
            }
        }
        return s.length();
    }

    private static void writeUtf8(ByteArrayOutputStream out, CharSequence s, int from, int to) {
        if (from < to) {
            out.writeBytes(s.subSequence(from, to).toString().getBytes(StandardCharsets.UTF_8));
        }
    }
}
