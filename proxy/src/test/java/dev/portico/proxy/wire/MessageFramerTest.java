package dev.portico.proxy.wire;

import static dev.portico.proxy.wire.Buffers.ALLOC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class MessageFramerTest {

    private final Buffers buffers = new Buffers();

    @AfterEach
    void everyBufferIsReleased() {
        buffers.assertAllReleased();
    }

    @ParameterizedTest(name = "{0} compressed={1} end={2} → {3}")
    @CsvSource({
            "GRPC,     false, false, 00 00000003 616263",
            "GRPC,     true,  false, 01 00000003 616263",
            "GRPC_WEB, false, false, 00 00000003 616263",
            "GRPC_WEB, false, true,  80 00000003 616263",
            "GRPC_WEB, true,  true,  81 00000003 616263",
            "CONNECT,  false, true,  02 00000003 616263",
            "CONNECT,  true,  true,  03 00000003 616263",
            "CONNECT,  true,  false, 01 00000003 616263",
    })
    void frameWritesFlagsAndBigEndianLengthBeforeTheMessage(EnvelopeFormat format, boolean compressed,
                                                            boolean end, String expected) {
        final ByteBuf frame = buffers.track(
                MessageFramer.frame(ALLOC, format, buffers.ascii("abc"), compressed, end));
        assertThat(Buffers.toHex(frame)).isEqualTo(expected.replace(" ", ""));
        frame.release();
    }

    @Test
    void frameIntoAppendsFramesBehindWhatTheBufferHolds() {
        final ByteBuf batch = buffers.track(ALLOC.directBuffer(16, 32));
        MessageFramer.frameInto(batch, EnvelopeFormat.GRPC_WEB, buffers.ascii("abc"), false);
        MessageFramer.frameInto(batch, EnvelopeFormat.CONNECT, buffers.ascii("de"), true);
        // The same bytes frame() gives, one after the other; the buffer grew within its maximum capacity.
        assertThat(Buffers.toHex(batch)).isEqualTo("0000000003616263" + "01000000026465");
        batch.release();
    }

    @Test
    void frameIntoABufferWithoutRoomThrowsLeavesItAsItWasAndReleasesTheMessage() {
        final ByteBuf batch = buffers.track(ALLOC.directBuffer(8, 8));
        batch.writeByte(0x7f);
        final ByteBuf message = buffers.ascii("abc");
        assertThatThrownBy(() -> MessageFramer.frameInto(batch, EnvelopeFormat.GRPC, message, false))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(Buffers.toHex(batch)).isEqualTo("7f");
        assertThat(message.refCnt()).isZero();
        batch.release();
    }

    @Test
    void emptyMessageFramesAsTheHeaderAlone() {
        final ByteBuf frame = buffers.track(
                MessageFramer.frame(ALLOC, EnvelopeFormat.GRPC_WEB, buffers.hex(""), false, true));
        assertThat(Buffers.toHex(frame)).isEqualTo("8000000000");
        frame.release();
    }

    @Test
    void lengthAbove255UsesAllFourBytes() {
        final ByteBuf frame = buffers.track(
                MessageFramer.frame(ALLOC, EnvelopeFormat.GRPC, buffers.bytes(new byte[0x010203]), false,
                                    false));
        assertThat(ByteBufUtil.hexDump(frame, 0, 5)).isEqualTo("0000010203");
        assertThat(frame.readableBytes()).isEqualTo(5 + 0x010203);
        frame.release();
    }

    @Test
    void endFrameForGrpcIsRejectedAndTheMessageIsStillReleased() {
        final ByteBuf message = buffers.ascii("abc");
        assertThatThrownBy(() -> MessageFramer.frame(ALLOC, EnvelopeFormat.GRPC, message, false, true))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void frameSharesTheBytesOfALargeMessageRatherThanCopyingThem() {
        final ByteBuf message = buffers.bytes(new byte[MessageFramer.COPY_LIMIT + 1]);
        final ByteBuf frame = buffers.track(
                MessageFramer.frame(ALLOC, EnvelopeFormat.GRPC, message, false, false));
        // Writing through the original buffer shows up in the frame: same memory, no copy.
        message.setByte(message.readerIndex(), 'x');
        assertThat(frame.getByte(MessageFramer.HEADER_LENGTH)).isEqualTo((byte) 'x');
        frame.release();
    }

    @Test
    void aSmallMessageIsCopiedBehindItsHeaderIntoOneBuffer() {
        final ByteBuf message = buffers.bytes(new byte[MessageFramer.COPY_LIMIT]);
        final ByteBuf frame = buffers.track(
                MessageFramer.frame(ALLOC, EnvelopeFormat.GRPC, message, false, false));
        assertThat(message.refCnt()).isZero();
        assertThat(frame).isNotInstanceOf(CompositeByteBuf.class);
        assertThat(frame.nioBufferCount()).isEqualTo(1);
        assertThat(frame.readableBytes()).isEqualTo(MessageFramer.HEADER_LENGTH + MessageFramer.COPY_LIMIT);
        frame.release();
    }

    static Stream<Arguments> roundTrips() {
        final List<Arguments> cases = new ArrayList<>();
        for (EnvelopeFormat format : EnvelopeFormat.values()) {
            for (int chunk : new int[] { 1, 7, 4096 }) {
                cases.add(Arguments.of(format, chunk));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} in {1}-byte chunks")
    @MethodSource("roundTrips")
    void framedMessagesComeBackOutOfTheDeframer(EnvelopeFormat format, int chunkSize) throws Exception {
        final byte[][] messages = messages();
        final byte[] stream = frameAll(format, messages, BodyEncoding.IDENTITY);
        final List<String> received = deframe(format, buffers.chunksOf(stream, chunkSize));
        assertThat(received).isEqualTo(expectedEvents(format, messages));
    }

    @ParameterizedTest(name = "{0} in {1}-byte chunks")
    @MethodSource("roundTrips")
    void base64BodyOfSeparatelyPaddedFramesDecodesAndDeframes(EnvelopeFormat format, int chunkSize)
            throws Exception {
        final byte[][] messages = messages();
        // PROTOCOL-WEB.md: each frame is its own padded base64 segment, so padding appears mid-stream.
        final byte[] text = frameAll(format, messages, BodyEncoding.BASE64);
        assertThat(new String(text, 0, text.length - 1, StandardCharsets.US_ASCII)).contains("=");
        final Base64StreamDecoder decoder = new Base64StreamDecoder();
        final List<ByteBuf> decoded = new ArrayList<>();
        for (ByteBuf chunk : buffers.chunksOf(text, chunkSize)) {
            decoded.add(buffers.track(decoder.decode(ALLOC, chunk)));
        }
        decoded.add(buffers.track(decoder.finish(ALLOC)));
        assertThat(deframe(format, decoded)).isEqualTo(expectedEvents(format, messages));
    }

    @ParameterizedTest(name = "{0} bytes")
    @CsvSource({"0", "1", "2", "3", "49151", "49152", "49153", "150001"})
    void base64BodyEncodingIsTheStandardPaddedEncodingOfTheWholeFrameAtAnySize(int size) {
        final byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        final ByteBuf text = buffers.track(BodyEncoding.BASE64.encode(ALLOC, buffers.bytes(bytes)));
        // Blocks of 48 KiB are encoded one after the other: only the very end may carry padding.
        assertThat(text.toString(StandardCharsets.US_ASCII))
                .isEqualTo(java.util.Base64.getEncoder().encodeToString(bytes));
        text.release();
    }

    @Test
    void identityBodyEncodingReturnsTheFrameItself() {
        final ByteBuf frame = buffers.ascii("abc");
        assertThat(BodyEncoding.IDENTITY.encode(ALLOC, frame)).isSameAs(frame);
        frame.release();
    }

    @Test
    void base64BodyEncodingIsStandardPaddedAndReleasesTheFrame() {
        final ByteBuf frame = buffers.hex("00 00000001 ff");
        final ByteBuf text = buffers.track(BodyEncoding.BASE64.encode(ALLOC, frame));
        // Standard alphabet ('/' not '_'), padded, no line breaks.
        assertThat(text.toString(StandardCharsets.US_ASCII)).isEqualTo("AAAAAAH/");
        assertThat(frame.refCnt()).isZero();
        text.release();
    }

    @Test
    void base64BodyEncodingOfALongFrameHasNoLineBreaks() {
        final ByteBuf text = buffers.track(BodyEncoding.BASE64.encode(ALLOC, buffers.bytes(new byte[300])));
        assertThat(text.toString(StandardCharsets.US_ASCII)).isEqualTo("A".repeat(400));
        text.release();
    }

    @Test
    void messageLongerThan64KiBRoundTripsThroughFramerAndDeframer() throws Exception {
        final byte[][] messages = messages(70_000, 65_536, 1);
        final byte[] stream = frameAll(EnvelopeFormat.GRPC_WEB, messages, BodyEncoding.IDENTITY);
        final List<String> received = deframe(EnvelopeFormat.GRPC_WEB, buffers.chunksOf(stream, 16_384));
        assertThat(received).isEqualTo(expectedEvents(EnvelopeFormat.GRPC_WEB, messages));
    }

    /** Messages of 0, 1, 255, 256 and 1000 bytes: empty, and lengths either side of a byte boundary. */
    private static byte[][] messages() {
        return messages(0, 1, 255, 256, 1000);
    }

    /** Messages of the given sizes, of seeded random content. */
    private static byte[][] messages(int... sizes) {
        final Random random = new Random(42);
        final byte[][] messages = new byte[sizes.length][];
        for (int i = 0; i < sizes.length; i++) {
            messages[i] = new byte[sizes[i]];
            random.nextBytes(messages[i]);
        }
        return messages;
    }

    /** Frames every message (the last one as the end frame where the format has one) and encodes it. */
    private byte[] frameAll(EnvelopeFormat format, byte[][] messages, BodyEncoding encoding) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < messages.length; i++) {
            final boolean end = format.hasEndFrame() && i == messages.length - 1;
            final boolean compressed = i % 2 == 1;
            final ByteBuf message = buffers.bytes(messages[i]);
            final ByteBuf frame = MessageFramer.frame(ALLOC, format, message, compressed, end);
            final ByteBuf encoded = buffers.track(encoding.encode(ALLOC, buffers.track(frame)));
            out.writeBytes(Buffers.drain(encoded));
        }
        return out.toByteArray();
    }

    private static List<String> expectedEvents(EnvelopeFormat format, byte[][] messages) {
        final List<String> events = new ArrayList<>();
        for (int i = 0; i < messages.length; i++) {
            final boolean end = format.hasEndFrame() && i == messages.length - 1;
            events.add((end ? "end " : i % 2 == 1 ? "compressed " : "") + ByteBufUtil.hexDump(messages[i]));
        }
        return events;
    }

    private static List<String> deframe(EnvelopeFormat format, List<ByteBuf> chunks) throws ProtocolException {
        final List<String> events = new ArrayList<>();
        final MessageDeframer.Listener listener = new MessageDeframer.Listener() {
            @Override
            public void onMessage(ByteBuf message, boolean compressed) {
                events.add((compressed ? "compressed " : "") + ByteBufUtil.hexDump(Buffers.drain(message)));
            }

            @Override
            public void onEndFrame(ByteBuf payload) {
                events.add("end " + ByteBufUtil.hexDump(Buffers.drain(payload)));
            }
        };
        try (MessageDeframer deframer = new MessageDeframer(format, 100_000, listener)) {
            deframer.request(Integer.MAX_VALUE);
            for (ByteBuf chunk : chunks) {
                deframer.feed(chunk);
            }
            deframer.endOfInput();
        }
        return events;
    }
}
