package dev.portico.proxy.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipException;

/**
 * Message compressions Portico speaks, named as in {@code grpc-encoding}, {@code Content-Encoding} and
 * {@code Connect-Content-Encoding}. Decompression is bounded, so a small compressed message cannot expand
 * past the message size limit (no zip bombs).
 */
public enum Compression {
    IDENTITY("identity"),
    GZIP("gzip");

    /** What Portico accepts, for error messages and {@code *-accept-encoding} headers. */
    public static final String SUPPORTED = "gzip, identity";

    private final String token;

    Compression(String token) {
        this.token = token;
    }

    public String token() {
        return token;
    }

    /** The compression an encoding header names; absent or empty means identity. */
    public static Compression named(CharSequence name) throws ProtocolException {
        if (name == null || name.length() == 0) {
            return IDENTITY;
        }
        final String lower = name.toString().trim().toLowerCase(Locale.ROOT);
        for (Compression compression : values()) {
            if (compression.token.equals(lower)) {
                return compression;
            }
        }
        throw new ProtocolException(RpcCode.UNIMPLEMENTED,
                                    "unsupported compression " + QuotedValue.of(name) + ": supported are "
                                    + SUPPORTED);
    }

    /** The best compression an accept header offers ({@code gzip, br;q=0.5}), identity when none fits. */
    public static Compression accepted(CharSequence acceptHeader) {
        if (acceptHeader == null) {
            return IDENTITY;
        }
        for (String entry : acceptHeader.toString().split(",")) {
            final String[] parts = entry.trim().toLowerCase(Locale.ROOT).split(";");
            if (GZIP.token.equals(parts[0].trim()) && !rejected(parts)) {
                return GZIP;
            }
        }
        return IDENTITY;
    }

    private static boolean rejected(String[] parts) {
        for (int i = 1; i < parts.length; i++) {
            final String param = parts[i].trim().replace(" ", "");
            if (param.equals("q=0") || param.matches("q=0\\.0*")) {
                return true;
            }
        }
        return false;
    }

    /** Takes ownership of {@code message}; the caller must release the result. */
    public ByteBuf compress(ByteBufAllocator alloc, ByteBuf message) {
        if (this == IDENTITY) {
            return message;
        }
        final ByteBuf out = alloc.buffer(Math.max(64, message.readableBytes() / 2));
        boolean ok = false;
        try (OutputStream gzip = new GZIPOutputStream(new ByteBufOutputStream(out))) {
            message.readBytes(gzip, message.readableBytes());
            ok = true;
        } catch (IOException e) {
            throw new IllegalStateException("gzip into a memory buffer failed", e);
        } finally {
            message.release();
            if (!ok) {
                out.release();
            }
        }
        return out;
    }

    /**
     * Takes ownership of {@code message}; the caller must release the result. More than
     * {@code maxBytes} of output is RESOURCE_EXHAUSTED; corrupt input is INVALID_ARGUMENT.
     */
    public ByteBuf decompress(ByteBufAllocator alloc, ByteBuf message, int maxBytes) throws ProtocolException {
        if (this == IDENTITY) {
            return message;
        }
        final ByteBuf out = alloc.buffer();
        boolean ok = false;
        try (InputStream gzip = new GZIPInputStream(new ByteBufInputStream(message))) {
            while (true) {
                final int room = maxBytes - out.readableBytes();
                final int read = out.writeBytes(gzip, Math.max(1, Math.min(room + 1, 8192)));
                if (read < 0) {
                    break;
                }
                if (out.readableBytes() > maxBytes) {
                    throw new ProtocolException(RpcCode.RESOURCE_EXHAUSTED,
                                                "decompressed message is over the limit of " + maxBytes + " bytes");
                }
            }
            ok = true;
            return out;
        } catch (ZipException | java.io.EOFException e) {
            throw new ProtocolException(RpcCode.INVALID_ARGUMENT, "corrupt gzip message: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ProtocolException(RpcCode.INTERNAL, "reading a gzip message failed: " + e.getMessage(), e);
        } finally {
            message.release();
            if (!ok) {
                out.release();
            }
        }
    }
}
