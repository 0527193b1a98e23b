package dev.portico.proxy.wire;

import static dev.portico.proxy.wire.Buffers.unhex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class MessageDeframerTest {

    private static final int MAX = 1024;

    private final Buffers buffers = new Buffers();
    private final Recorder recorder = new Recorder();

    @AfterEach
    void everyBufferIsReleased() {
        buffers.assertAllReleased();
    }

    /** Streams as literal bytes, with the events they must produce however they are chunked. */
    static Stream<Arguments> streams() {
        return Stream.of(
                Arguments.of("gRPC one message", EnvelopeFormat.GRPC,
                             "00 00000005 68656c6c6f",
                             List.of("message 68656c6c6f")),
                Arguments.of("gRPC uncompressed then compressed", EnvelopeFormat.GRPC,
                             "00 00000002 6869  01 00000003 616263",
                             List.of("message 6869", "compressed message 616263")),
                Arguments.of("gRPC empty message between two", EnvelopeFormat.GRPC,
                             "00 00000001 61  00 00000000  00 00000001 62",
                             List.of("message 61", "message ", "message 62")),
                Arguments.of("gRPC 40-byte message (more chunks than a composite takes)", EnvelopeFormat.GRPC,
                             "00 00000028 " + "00112233445566778899".repeat(4),
                             List.of("message " + "00112233445566778899".repeat(4))),
                // PROTOCOL-WEB.md: 0x80 = trailer frame; "grpc-status: 0\r\n".
                Arguments.of("gRPC-Web message then trailers", EnvelopeFormat.GRPC_WEB,
                             "00 00000002 6869  80 00000010 677270632d7374617475733a20300d0a",
                             List.of("message 6869", "end 677270632d7374617475733a20300d0a")),
                Arguments.of("gRPC-Web compressed trailers (0x81)", EnvelopeFormat.GRPC_WEB,
                             "81 00000002 6869",
                             List.of("end 6869")),
                Arguments.of("gRPC-Web empty trailer frame", EnvelopeFormat.GRPC_WEB,
                             "80 00000000",
                             List.of("end ")),
                // Connect spec: 0x02 = EndStreamResponse; "{}".
                Arguments.of("Connect message then end-stream", EnvelopeFormat.CONNECT,
                             "01 00000002 6869  02 00000002 7b7d",
                             List.of("compressed message 6869", "end 7b7d")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("streams")
    void streamSplitAtEveryOffsetYieldsTheSameMessages(String name, EnvelopeFormat format, String hex,
                                                      List<String> expected) throws Exception {
        final byte[] bytes = unhex(hex);
        for (int cut = 0; cut <= bytes.length; cut++) {
            final Recorder events = new Recorder();
            try (MessageDeframer deframer = new MessageDeframer(format, MAX, events)) {
                deframer.request(Integer.MAX_VALUE);
                for (ByteBuf chunk : buffers.split(bytes, cut)) {
                    deframer.feed(chunk);
                }
                deframer.endOfInput();
            }
            assertThat(events.events).as("split at %d", cut).isEqualTo(expected);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("streams")
    void streamFedOneByteAtATimeYieldsTheSameMessages(String name, EnvelopeFormat format, String hex,
                                                     List<String> expected) throws Exception {
        try (MessageDeframer deframer = new MessageDeframer(format, MAX, recorder)) {
            deframer.request(Integer.MAX_VALUE);
            for (ByteBuf chunk : buffers.oneByteAtATime(unhex(hex))) {
                deframer.feed(chunk);
            }
            deframer.endOfInput();
        }
        assertThat(recorder.events).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("streams")
    void streamFedInOneChunkYieldsTheSameMessages(String name, EnvelopeFormat format, String hex,
                                                 List<String> expected) throws Exception {
        try (MessageDeframer deframer = new MessageDeframer(format, MAX, recorder)) {
            deframer.request(Integer.MAX_VALUE);
            deframer.feed(buffers.hex(hex));
            deframer.endOfInput();
        }
        assertThat(recorder.events).isEqualTo(expected);
    }

    @Test
    void frameHeaderSplitAcrossChunksIsReassembled() throws Exception {
        try (MessageDeframer deframer = new MessageDeframer(EnvelopeFormat.GRPC, MAX, recorder)) {
            deframer.request(1);
            deframer.feed(buffers.hex("00 0000"));
            deframer.feed(buffers.hex("00"));
            assertThat(recorder.events).isEmpty();
            deframer.feed(buffers.hex("03 616263"));
        }
        assertThat(recorder.events).containsExactly("message 616263");
    }

    @Test
    void emptyMessageIsDeliveredAsAnEmptyBuffer() throws Exception {
        final List<ByteBuf> received = new ArrayList<>();
        final MessageDeframer.Listener keep = new Recorder() {
            @Override
            public void onMessage(ByteBuf message, boolean compressed) {
                received.add(buffers.track(message));
            }
        };
        try (MessageDeframer deframer = new MessageDeframer(EnvelopeFormat.GRPC, MAX, keep)) {
            deframer.request(1);
            deframer.feed(buffers.hex("00 00000000"));
        }
        assertThat(received).hasSize(1);
        assertThat(received.get(0).readableBytes()).isZero();
        assertThat(received.get(0).refCnt()).isOne();
        received.get(0).release();
    }

    @Test
    void messageOfExactlyMaxBytesIsDelivered() throws Exception {
        final byte[] frame = new byte[5 + MAX];
        frame[3] = (byte) (MAX >>> 8);
        frame[4] = (byte) MAX;
        try (MessageDeframer deframer = new MessageDeframer(EnvelopeFormat.GRPC, MAX, recorder)) {
            deframer.request(1);
            for (ByteBuf chunk : buffers.chunksOf(frame, 100)) {
                deframer.feed(chunk);
            }
            deframer.endOfInput();
        }
        assertThat(recorder.sizes).containsExactly(MAX);
    }

    @Test
    void messageOfMaxPlusOneBytesFailsAsSoonAsItsHeaderArrives() {
        final MessageDeframer deframer = new MessageDeframer(EnvelopeFormat.GRPC, MAX, recorder);
        // 0x401 = 1025 = MAX + 1; no payload has been sent, and none is needed to fail.
        final ProtocolException e = catchThrowableOfType(ProtocolException.class,
                                                         () -> deframer.feed(buffers.hex("00 00000401")));
        assertThat(e.code()).isEqualTo(RpcCode.RESOURCE_EXHAUSTED);
        assertThat(e.getMessage()).contains("1025").contains("1024");
        assertThat(recorder.events).isEmpty();
    }

    @Test
    void lengthAboveTwoGigabytesIsReadAsUnsignedAndRejected() {
        final MessageDeframer deframer = new MessageDeframer(EnvelopeFormat.GRPC, Integer.MAX_VALUE, recorder);
        final ProtocolException e = catchThrowableOfType(ProtocolException.class,
                                                         () -> deframer.feed(buffers.hex("00 ffffffff")));
        assertThat(e.code()).isEqualTo(RpcCode.RESOURCE_EXHAUSTED);
        assertThat(e.getMessage()).contains("4294967295");
    }

    @Test
    void oversizedFrameIsRejectedEvenWithoutDemand() {
        final MessageDeframer deframer = new MessageDeframer(EnvelopeFormat.GRPC, 4, recorder);
        final ProtocolException e = catchThrowableOfType(ProtocolException.class,
                                                         () -> deframer.feed(buffers.hex("00 00000005 6869")));
        assertThat(e.code()).isEqualTo(RpcCode.RESOURCE_EXHAUSTED);
    }

    static Stream<Arguments> reservedFlags() {
        return Stream.of(
                Arguments.of(EnvelopeFormat.GRPC, 0x02), Arguments.of(EnvelopeFormat.GRPC, 0x04),
                Arguments.of(EnvelopeFormat.GRPC, 0x40), Arguments.of(EnvelopeFormat.GRPC, 0x80),
                Arguments.of(EnvelopeFormat.GRPC, 0x81),
                Arguments.of(EnvelopeFormat.GRPC_WEB, 0x02), Arguments.of(EnvelopeFormat.GRPC_WEB, 0x04),
                Arguments.of(EnvelopeFormat.GRPC_WEB, 0x40), Arguments.of(EnvelopeFormat.GRPC_WEB, 0x82),
                Arguments.of(EnvelopeFormat.CONNECT, 0x04), Arguments.of(EnvelopeFormat.CONNECT, 0x08),
                Arguments.of(EnvelopeFormat.CONNECT, 0x80), Arguments.of(EnvelopeFormat.CONNECT, 0x03 | 0x40));
    }

    @ParameterizedTest(name = "{0} flags 0x{1}")
    @MethodSource("reservedFlags")
    void reservedFlagBitsAreRejected(EnvelopeFormat format, int flags) {
        final MessageDeframer deframer = new MessageDeframer(format, MAX, recorder);
        final ByteBuf frame = buffers.hex(String.format("%02x 00000001 61", flags));
        final ProtocolException e = catchThrowableOfType(ProtocolException.class, () -> deframer.feed(frame));
        assertThat(e.code()).isEqualTo(RpcCode.INVALID_ARGUMENT);
        assertThat(e.getMessage()).contains(String.format("0x%02X", flags));
        assertThat(recorder.events).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({ "00 0000, 3, 5", "00 00000003 6162, 7, 8" })
    void partialFrameAtEndOfInputIsReportedAsTruncated(String hex, int have, int need) throws Exception {
        final MessageDeframer deframer = new MessageDeframer(EnvelopeFormat.GRPC, MAX, recorder);
        deframer.request(1);
        deframer.feed(buffers.hex(hex));
        final ProtocolException e = catchThrowableOfType(ProtocolException.class, deframer::endOfInput);
        assertThat(e.code()).isEqualTo(RpcCode.INVALID_ARGUMENT);
        assertThat(e.getMessage()).startsWith("truncated frame: " + have + " bytes of " + need);
        assertThat(recorder.events).isEmpty();
    }

    @Test
    void partialFrameBehindUndeliveredCompleteFramesIsFoundAtEndOfInput() throws Exception {
        final MessageDeframer deframer = new MessageDeframer(EnvelopeFormat.GRPC, MAX, recorder);
        deframer.feed(buffers.hex("00 00000001 61  00 00000001 62  00 00000002 63"));
        final ProtocolException e = catchThrowableOfType(ProtocolException.class, deframer::endOfInput);
        assertThat(e.getMessage()).startsWith("truncated frame: 6 bytes of 7");
    }

    @Test
    void completeFramesStillPendingAtEndOfInputAreDeliveredOnLaterRequests() throws Exception {
        try (MessageDeframer deframer = new MessageDeframer(EnvelopeFormat.GRPC, MAX, recorder)) {
            deframer.feed(buffers.hex("00 00000001 61  00 00000001 62"));
            deframer.endOfInput();
            assertThat(recorder.events).isEmpty();
            deframer.request(1);
            assertThat(recorder.events).containsExactly("message 61");
            deframer.request(1);
            assertThat(recorder.events).containsExactly("message 61", "message 62");
        }
    }

    @Test
    void requestZeroDeliversNothing() throws Exception {
        try (MessageDeframer deframer = new MessageDeframer(EnvelopeFormat.GRPC, MAX, recorder)) {
            deframer.feed(buffers.hex("00 00000001 61  00 00000001 62"));
            deframer.request(0);
            assertThat(recorder.events).isEmpty();
            assertThat(deframer.isStalled()).isTrue();
        }
    }

    @Test
    void requestOneDeliversExactlyOneMessage() throws Exception {
        try (MessageDeframer deframer = new MessageDeframer(EnvelopeFormat.GRPC, MAX, recorder)) {
            deframer.feed(buffers.hex("00 00000001 61  00 00000001 62"));
            deframer.request(1);
            assertThat(recorder.events).containsExactly("message 61");
            assertThat(deframer.isStalled()).isTrue();
        }
    }

    @Test
    void demandRequestedBeforeInputIsUsedAsMessagesArrive() throws Exception {
        try (MessageDeframer deframer = new MessageDeframer(EnvelopeFormat.GRPC, MAX, recorder)) {
            deframer.request(2);
            deframer.feed(buffers.hex("00 00000001 61"));
            deframer.feed(buffers.hex("00 00000001 62  00 00000001 63"));
            assertThat(recorder.events).containsExactly("message 61", "message 62");
            deframer.request(5);
            assertThat(recorder.events).containsExactly("message 61", "message 62", "message 63");
            assertThat(deframer.isStalled()).isFalse();
        }
    }

    @Test
    void partialFrameIsNotStalled() throws Exception {
        try (MessageDeframer deframer = new MessageDeframer(EnvelopeFormat.GRPC, MAX, recorder)) {
            deframer.feed(buffers.hex("00 00000002 61"));
            // More input is needed before the message is complete, so the caller must keep reading.
            assertThat(deframer.isStalled()).isFalse();
        }
    }

    @Test
    void listenerMayRequestFromInsideOnMessageWithoutRecursionOrDoubleDelivery() throws Exception {
        final int count = 20_000;
        final byte[] stream = new byte[count * 6];
        for (int i = 0; i < count; i++) {
            stream[i * 6 + 4] = 1;
            stream[i * 6 + 5] = (byte) i;
        }
        final MessageDeframer[] self = new MessageDeframer[1];
        final Recorder requestsMore = new Recorder() {
            @Override
            public void onMessage(ByteBuf message, boolean compressed) {
                super.onMessage(message, compressed);
                try {
                    self[0].request(1);
                } catch (ProtocolException e) {
                    throw new AssertionError(e);
                }
            }
        };
        try (MessageDeframer deframer = new MessageDeframer(EnvelopeFormat.GRPC, MAX, requestsMore)) {
            self[0] = deframer;
            deframer.feed(buffers.bytes(stream));
            deframer.request(1);
            deframer.endOfInput();
        }
        assertThat(requestsMore.events).hasSize(count);
        for (int i = 0; i < count; i++) {
            assertThat(requestsMore.events.get(i)).isEqualTo(String.format("message %02x", i & 0xFF));
        }
    }

    @Test
    void listenerMayFeedFromInsideOnMessage() throws Exception {
        final MessageDeframer[] self = new MessageDeframer[1];
        final Recorder feedsMore = new Recorder() {
            @Override
            public void onMessage(ByteBuf message, boolean compressed) {
                super.onMessage(message, compressed);
                if (events.size() == 1) {
                    try {
                        self[0].feed(buffers.hex("00 00000001 62"));
                    } catch (ProtocolException e) {
                        throw new AssertionError(e);
                    }
                }
            }
        };
        try (MessageDeframer deframer = new MessageDeframer(EnvelopeFormat.GRPC, MAX, feedsMore)) {
            self[0] = deframer;
            deframer.request(2);
            deframer.feed(buffers.hex("00 00000001 61"));
        }
        assertThat(feedsMore.events).containsExactly("message 61", "message 62");
    }

    @Test
    void listenerMayCloseFromInsideOnMessageAndTheRestIsReleased() throws Exception {
        final MessageDeframer[] self = new MessageDeframer[1];
        final Recorder closes = new Recorder() {
            @Override
            public void onMessage(ByteBuf message, boolean compressed) {
                super.onMessage(message, compressed);
                self[0].close();
            }
        };
        final MessageDeframer deframer = new MessageDeframer(EnvelopeFormat.GRPC, MAX, closes);
        self[0] = deframer;
        deframer.feed(buffers.hex("00 00000001 61  00 00000001 62  00 0000"));
        deframer.request(5);
        assertThat(closes.events).containsExactly("message 61");
    }

    @ParameterizedTest
    @EnumSource(value = EnvelopeFormat.class, names = { "GRPC_WEB", "CONNECT" })
    void endFrameIsDeliveredAfterEarlierMessagesWithoutNeedingDemand(EnvelopeFormat format) throws Exception {
        final String end = String.format("%02x 00000002 7b7d", format.endFlag());
        try (MessageDeframer deframer = new MessageDeframer(format, MAX, recorder)) {
            deframer.feed(buffers.hex("00 00000001 61 " + end));
            assertThat(recorder.events).isEmpty();
            assertThat(deframer.isStalled()).isTrue();
            deframer.request(1);
            assertThat(recorder.events).containsExactly("message 61", "end 7b7d");
            assertThat(deframer.isStalled()).isFalse();
            deframer.endOfInput();
        }
    }

    @ParameterizedTest
    @EnumSource(value = EnvelopeFormat.class, names = { "GRPC_WEB", "CONNECT" })
    void bytesAfterTheEndFrameInTheSameChunkAreRejected(EnvelopeFormat format) {
        final MessageDeframer deframer = new MessageDeframer(format, MAX, recorder);
        final ByteBuf input = buffers.hex(String.format("%02x 00000000 00", format.endFlag()));
        final ProtocolException e = catchThrowableOfType(ProtocolException.class, () -> deframer.feed(input));
        assertThat(e.code()).isEqualTo(RpcCode.INVALID_ARGUMENT);
        assertThat(e.getMessage()).contains("after the end frame");
        assertThat(recorder.events).containsExactly("end ");
    }

    @ParameterizedTest
    @EnumSource(value = EnvelopeFormat.class, names = { "GRPC_WEB", "CONNECT" })
    void bytesAfterTheEndFrameInALaterChunkAreRejected(EnvelopeFormat format) throws Exception {
        final MessageDeframer deframer = new MessageDeframer(format, MAX, recorder);
        deframer.feed(buffers.hex(String.format("%02x 00000000", format.endFlag())));
        final ByteBuf late = buffers.hex("00");
        final ProtocolException e = catchThrowableOfType(ProtocolException.class, () -> deframer.feed(late));
        assertThat(e.code()).isEqualTo(RpcCode.INVALID_ARGUMENT);
        // Input arriving after the failure is released and ignored.
        deframer.feed(buffers.hex("00"));
        assertThat(recorder.events).containsExactly("end ");
    }

    @Test
    void emptyChunkAfterTheEndFrameIsHarmless() throws Exception {
        try (MessageDeframer deframer = new MessageDeframer(EnvelopeFormat.GRPC_WEB, MAX, recorder)) {
            deframer.feed(buffers.hex("80 00000000"));
            deframer.feed(buffers.hex(""));
            deframer.endOfInput();
        }
        assertThat(recorder.events).containsExactly("end ");
    }

    @Test
    void closeReleasesBufferedInput() throws Exception {
        final MessageDeframer deframer = new MessageDeframer(EnvelopeFormat.GRPC, MAX, recorder);
        deframer.feed(buffers.hex("00 00000001 61  00 00000003 62"));
        deframer.close();
        deframer.close();
        deframer.request(5);
        assertThat(recorder.events).isEmpty();
    }

    @Test
    void inputAfterCloseIsReleased() throws Exception {
        final MessageDeframer deframer = new MessageDeframer(EnvelopeFormat.GRPC, MAX, recorder);
        deframer.close();
        deframer.feed(buffers.hex("00 00000001 61"));
        deframer.endOfInput();
        assertThat(recorder.events).isEmpty();
    }

    @Test
    void feedAfterEndOfInputIsAnErrorAndStillReleasesTheChunk() throws Exception {
        try (MessageDeframer deframer = new MessageDeframer(EnvelopeFormat.GRPC, MAX, recorder)) {
            deframer.endOfInput();
            final ByteBuf late = buffers.hex("00");
            assertThatThrownBy(() -> deframer.feed(late)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void negativeDemandIsRejected() {
        try (MessageDeframer deframer = new MessageDeframer(EnvelopeFormat.GRPC, MAX, recorder)) {
            assertThatThrownBy(() -> deframer.request(-1)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void payloadSpreadOverManyChunksSharesTheirMemoryOrIsCopiedOnce() throws Exception {
        final List<ByteBuf> received = new ArrayList<>();
        final Recorder keep = new Recorder() {
            @Override
            public void onMessage(ByteBuf message, boolean compressed) {
                received.add(buffers.track(message));
            }
        };
        try (MessageDeframer deframer = new MessageDeframer(EnvelopeFormat.GRPC, MAX, keep)) {
            deframer.request(2);
            // 3 chunks: a composite of slices. 40 one-byte chunks: one copy.
            deframer.feed(buffers.hex("00 00000006 6162"));
            deframer.feed(buffers.hex("6364"));
            deframer.feed(buffers.hex("6566"));
            for (ByteBuf chunk : buffers.oneByteAtATime(unhex("00 00000028" + "61".repeat(40)))) {
                deframer.feed(chunk);
            }
        }
        assertThat(received).hasSize(2);
        assertThat(Buffers.toHex(received.get(0))).isEqualTo("616263646566");
        assertThat(Buffers.toHex(received.get(1))).isEqualTo("61".repeat(40));
        // The input chunks stay alive exactly as long as the messages that share them.
        received.forEach(ByteBuf::release);
    }

    /** Records each delivery as text ("message 6869", "compressed message …", "end …") and releases it. */
    private static class Recorder implements MessageDeframer.Listener {
        final List<String> events = new ArrayList<>();
        final List<Integer> sizes = new ArrayList<>();

        @Override
        public void onMessage(ByteBuf message, boolean compressed) {
            record((compressed ? "compressed message " : "message "), message);
        }

        @Override
        public void onEndFrame(ByteBuf payload) {
            record("end ", payload);
        }

        private void record(String kind, ByteBuf payload) {
            try {
                sizes.add(payload.readableBytes());
                events.add(kind + ByteBufUtil.hexDump(payload));
            } finally {
                payload.release();
            }
            assertThat(payload.refCnt()).isZero();
        }
    }
}
