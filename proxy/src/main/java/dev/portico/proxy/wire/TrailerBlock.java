package dev.portico.proxy.wire;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The payload of a gRPC-Web trailer frame. PROTOCOL-WEB.md: trailers are "encoded as a HTTP/1 headers block
 * (without the terminating newline)", e.g. {@code "grpc-status: 0\r\ngrpc-message: ok\r\n"}, with lower-case
 * names. The frame around it is {@link MessageFramer}'s business.
 *
 * <p>Peers disagree on the space after the colon: Envoy, tonic and APISIX write {@code key:value}, Armeria,
 * grpc-dotnet and Go write {@code key: value}. We write the latter and read both.
 */
public final class TrailerBlock {

    private static final byte[] SEPARATOR = { ':', ' ' };
    private static final byte[] CRLF = { '\r', '\n' };

    private TrailerBlock() {
    }

    /**
     * Encodes {@code trailers} as {@code name: value\r\n} lines, names lower-cased, values written as given
     * (ASCII; PROTOCOL-HTTP2.md restricts ASCII-Value to {@code %x20-%x7E}, and {@code -bin} values are
     * base64). The caller must release the result.
     *
     * @throws IllegalArgumentException if a name or value contains CR or LF, which would split the block
     */
    public static ByteBuf encode(ByteBufAllocator alloc,
                                 Iterable<Map.Entry<CharSequence, CharSequence>> trailers) {
        requireNonNull(alloc, "alloc");
        requireNonNull(trailers, "trailers");
        int size = 0;
        for (Map.Entry<CharSequence, CharSequence> entry : trailers) {
            checkNoLineBreak(entry.getKey(), "name");
            checkNoLineBreak(entry.getValue(), "value");
            size += entry.getKey().length() + SEPARATOR.length + entry.getValue().length() + CRLF.length;
        }
        final ByteBuf out = alloc.buffer(size);
        boolean ok = false;
        try {
            for (Map.Entry<CharSequence, CharSequence> entry : trailers) {
                ByteBufUtil.writeAscii(out, AsciiString.of(entry.getKey()).toLowerCase());
                out.writeBytes(SEPARATOR);
                ByteBufUtil.writeAscii(out, entry.getValue());
                out.writeBytes(CRLF);
            }
            ok = true;
            return out;
        } finally {
            if (!ok) {
                out.release();
            }
        }
    }

    /**
     * Parses a trailer block from the readable bytes of {@code block}. Does not take ownership and does not
     * move its indices. Accepts {@code k:v} and {@code k: v}, trims whitespace around names and values,
     * lower-cases names, keeps repeated names as repeated entries, accepts LF as well as CRLF line ends, a
     * last line without a line end, and a trailing blank line.
     *
     * @throws ProtocolException with {@link RpcCode#INTERNAL} for a line without {@code ':'}, an empty or
     *     invalid name, a control character in a value, or content after a blank line. INTERNAL rather than
     *     INVALID_ARGUMENT because trailer blocks only come from servers, and clients report a response they
     *     cannot read as INTERNAL (connect-go does so for malformed gRPC trailers).
     */
    public static HttpHeaders parse(ByteBuf block) throws ProtocolException {
        requireNonNull(block, "block");
        final HttpHeaders headers = DefaultHttpHeadersFactory.headersFactory().newHeaders();
        final int end = block.writerIndex();
        int lineStart = block.readerIndex();
        int lineNumber = 0;
        while (lineStart < end) {
            lineNumber++;
            int lineEnd = block.indexOf(lineStart, end, (byte) '\n');
            final int next = lineEnd < 0 ? end : lineEnd + 1;
            if (lineEnd < 0) {
                lineEnd = end;
            }
            if (lineEnd > lineStart && block.getByte(lineEnd - 1) == '\r') {
                lineEnd--;
            }
            if (isBlank(block, lineStart, lineEnd)) {
                // A terminating blank line is tolerated (some writers add one); anything after it is not.
                if (!isBlank(block, next, end)) {
                    throw malformed("content after a blank line", lineNumber);
                }
                break;
            }
            parseLine(block, lineStart, lineEnd, lineNumber, headers);
            lineStart = next;
        }
        return headers;
    }

    private static void parseLine(ByteBuf block, int start, int end, int lineNumber, HttpHeaders headers)
            throws ProtocolException {
        final int colon = block.indexOf(start, end, (byte) ':');
        if (colon < 0) {
            throw malformed("line without ':'", lineNumber);
        }
        final int nameStart = skipWhitespace(block, start, colon);
        final int nameEnd = trimWhitespace(block, nameStart, colon);
        if (nameStart == nameEnd) {
            throw malformed("empty name", lineNumber);
        }
        for (int i = nameStart; i < nameEnd; i++) {
            if (!isTokenChar(block.getByte(i))) {
                throw malformed("invalid character in name", lineNumber);
            }
        }
        final int valueStart = skipWhitespace(block, colon + 1, end);
        final int valueEnd = trimWhitespace(block, valueStart, end);
        for (int i = valueStart; i < valueEnd; i++) {
            final int b = block.getByte(i) & 0xFF;
            // RFC 9110 §5.5 field-vchar / SP / HTAB; obs-text (0x80-0xFF) is kept as ISO-8859-1.
            if (b < 0x20 && b != '\t' || b == 0x7F) {
                throw malformed("control character in value", lineNumber);
            }
        }
        final AsciiString name = new AsciiString(ByteBufUtil.getBytes(block, nameStart, nameEnd - nameStart),
                                                 false).toLowerCase();
        final String value = block.toString(valueStart, valueEnd - valueStart, StandardCharsets.ISO_8859_1);
        headers.add(name, value);
    }

    private static boolean isBlank(ByteBuf block, int start, int end) {
        return skipWhitespace(block, start, end) == end;
    }

    /** Skips SP, HTAB, CR and LF: a blank line may carry stray whitespace or line ends. */
    private static int skipWhitespace(ByteBuf block, int start, int end) {
        int i = start;
        while (i < end && isWhitespace(block.getByte(i))) {
            i++;
        }
        return i;
    }

    private static int trimWhitespace(ByteBuf block, int start, int end) {
        int i = end;
        while (i > start && isWhitespace(block.getByte(i - 1))) {
            i--;
        }
        return i;
    }

    private static boolean isWhitespace(byte b) {
        return b == ' ' || b == '\t' || b == '\r' || b == '\n';
    }

    // RFC 9110 §5.6.2 tchar; PROTOCOL-HTTP2.md narrows metadata names further, but the trailer block is
    // HTTP/1 syntax and we only refuse what HttpHeaders would.
    private static boolean isTokenChar(byte b) {
        if (b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9') {
            return true;
        }
        return b > 0 && "!#$%&'*+-.^_`|~".indexOf(b) >= 0;
    }

    private static void checkNoLineBreak(CharSequence text, String what) {
        requireNonNull(text, what);
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            if (c == '\r' || c == '\n') {
                throw new IllegalArgumentException("line break in trailer " + what + ' ' +
                                                   QuotedValue.of(text));
            }
        }
    }

    private static ProtocolException malformed(String reason, int lineNumber) {
        return new ProtocolException(RpcCode.INTERNAL,
                                     "malformed gRPC-Web trailer block: " + reason + " on line " + lineNumber);
    }
}
