package dev.portico.proxy.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Test buffers that remember themselves: every buffer made here is kept so that {@link #assertAllReleased()}
 * can check its reference count at the end of the test. Pooled, so slices and composites behave as in
 * production.
 */
final class Buffers {

    static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    private final List<ByteBuf> made = new ArrayList<>();

    /** A buffer holding the bytes of a hex fixture; spaces are ignored. */
    ByteBuf hex(String hex) {
        return bytes(ByteBufUtil.decodeHexDump(hex.replace(" ", "")));
    }

    /** A buffer holding {@code text} as US-ASCII. */
    ByteBuf ascii(String text) {
        return bytes(text.getBytes(StandardCharsets.US_ASCII));
    }

    ByteBuf bytes(byte[] bytes) {
        return track(ALLOC.buffer(bytes.length).writeBytes(bytes));
    }

    /** Remembers a buffer made elsewhere (a result of the code under test) for the final check. */
    ByteBuf track(ByteBuf buf) {
        made.add(buf);
        return buf;
    }

    /** Splits {@code bytes} into chunks: {@code [0, cut)} and {@code [cut, length)}, each its own buffer. */
    List<ByteBuf> split(byte[] bytes, int cut) {
        return List.of(bytes(slice(bytes, 0, cut)), bytes(slice(bytes, cut, bytes.length)));
    }

    /** One buffer per byte. */
    List<ByteBuf> oneByteAtATime(byte[] bytes) {
        final List<ByteBuf> chunks = new ArrayList<>();
        for (int i = 0; i < bytes.length; i++) {
            chunks.add(bytes(slice(bytes, i, i + 1)));
        }
        return chunks;
    }

    /** Chunks of {@code size} bytes (the last may be shorter). */
    List<ByteBuf> chunksOf(byte[] bytes, int size) {
        final List<ByteBuf> chunks = new ArrayList<>();
        for (int i = 0; i < bytes.length; i += size) {
            chunks.add(bytes(slice(bytes, i, Math.min(bytes.length, i + size))));
        }
        return chunks;
    }

    void assertAllReleased() {
        for (ByteBuf buf : made) {
            assertThat(buf.refCnt()).as("refCnt of %s", buf).isZero();
        }
    }

    static byte[] unhex(String hex) {
        return ByteBufUtil.decodeHexDump(hex.replace(" ", ""));
    }

    /** Reads the readable bytes of {@code buf} without moving its indices. */
    static byte[] toBytes(ByteBuf buf) {
        return ByteBufUtil.getBytes(buf);
    }

    /** The readable bytes as lower-case hex, without moving the indices. */
    static String toHex(ByteBuf buf) {
        return ByteBufUtil.hexDump(buf);
    }

    /** Reads then releases {@code buf}: the bytes of a result the test owns. */
    static byte[] drain(ByteBuf buf) {
        try {
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    private static byte[] slice(byte[] bytes, int from, int to) {
        final byte[] out = new byte[to - from];
        System.arraycopy(bytes, from, out, 0, out.length);
        return out;
    }
}
