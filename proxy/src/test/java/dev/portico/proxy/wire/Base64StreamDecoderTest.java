package dev.portico.proxy.wire;

import static dev.portico.proxy.wire.Buffers.ALLOC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class Base64StreamDecoderTest {

    /**
     * base64("ab") + base64("cde") + base64(frame "00 00000002 6869"): three separately padded segments, as
     * Envoy writes a text response (one segment per frame).
     */
    private static final String PADDED_SEGMENTS = "YWI=" + "Y2Rl" + "AAAAAAJoaQ==";
    private static final String PADDED_SEGMENTS_DECODED = "6162" + "636465" + "00000000026869";

    private final Buffers buffers = new Buffers();

    @AfterEach
    void everyBufferIsReleased() {
        buffers.assertAllReleased();
    }

    @Test
    void paddedSegmentsConcatenatedDecodeAsOneStream() throws Exception {
        assertThat(decodeInChunks(List.of(PADDED_SEGMENTS))).isEqualTo(PADDED_SEGMENTS_DECODED);
    }

    @Test
    void paddedSegmentsSplitAtEveryOffsetDecodeTheSame() throws Exception {
        for (int cut = 0; cut <= PADDED_SEGMENTS.length(); cut++) {
            final List<String> chunks = List.of(PADDED_SEGMENTS.substring(0, cut),
                                                PADDED_SEGMENTS.substring(cut));
            assertThat(decodeInChunks(chunks)).as("split at %d", cut).isEqualTo(PADDED_SEGMENTS_DECODED);
        }
    }

    @Test
    void paddedSegmentsSplitAtEveryPairOfOffsetsDecodeTheSame() throws Exception {
        final String text = PADDED_SEGMENTS;
        for (int a = 0; a <= text.length(); a++) {
            for (int b = a; b <= text.length(); b++) {
                final List<String> chunks = List.of(text.substring(0, a), text.substring(a, b),
                                                    text.substring(b));
                assertThat(decodeInChunks(chunks)).as("split at %d and %d", a, b)
                                                  .isEqualTo(PADDED_SEGMENTS_DECODED);
            }
        }
    }

    @Test
    void paddedSegmentsFedOneCharacterAtATimeDecodeTheSame() throws Exception {
        final List<String> chunks = PADDED_SEGMENTS.chars().mapToObj(c -> String.valueOf((char) c)).toList();
        assertThat(decodeInChunks(chunks)).isEqualTo(PADDED_SEGMENTS_DECODED);
    }

    @Test
    void onlyWholeQuantaAreDecodedBeforeTheEnd() throws Exception {
        final Base64StreamDecoder decoder = new Base64StreamDecoder();
        assertThat(hexAndRelease(decoder.decode(ALLOC, buffers.ascii("YWJjZG")))).isEqualTo("616263");
        assertThat(hexAndRelease(decoder.decode(ALLOC, buffers.ascii("Vm")))).isEqualTo("646566");
        assertThat(hexAndRelease(decoder.finish(ALLOC))).isEmpty();
    }

    @ParameterizedTest(name = "\"{0}\" → {1}")
    @CsvSource({ "YQ, 61", "YWI, 6162", "YWJjYQ, 61626361", "YWJjYWI, 6162636162", "'', ''" })
    void unpaddedTailIsDecodedAtTheEnd(String text, String expectedHex) throws Exception {
        assertThat(decodeInChunks(List.of(text))).isEqualTo(expectedHex);
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = { "Y", "YWJjZ", "YWI=Y" })
    void oneLeftoverCharacterAtTheEndIsRejected(String text) throws Exception {
        final Base64StreamDecoder decoder = new Base64StreamDecoder();
        hexAndRelease(decoder.decode(ALLOC, buffers.ascii(text)));
        final ProtocolException e = catchThrowableOfType(ProtocolException.class, () -> decoder.finish(ALLOC));
        assertThat(e.code()).isEqualTo(RpcCode.INVALID_ARGUMENT);
        assertThat(e.getMessage()).contains("1 character left over");
    }

    @Test
    void singlePadWhereTwoAreNeededIsRejectedAtTheEnd() throws Exception {
        final Base64StreamDecoder decoder = new Base64StreamDecoder();
        assertThat(hexAndRelease(decoder.decode(ALLOC, buffers.ascii("YQ=")))).isEqualTo("61");
        final ProtocolException e = catchThrowableOfType(ProtocolException.class, () -> decoder.finish(ALLOC));
        assertThat(e.code()).isEqualTo(RpcCode.INVALID_ARGUMENT);
        assertThat(e.getMessage()).contains("second '='");
    }

    @Test
    void lineBreaksAndSpacesAreSkipped() throws Exception {
        assertThat(decodeInChunks(List.of("YW\r\nI=", " Y2", "Rl\n"))).isEqualTo("6162636465");
    }

    @ParameterizedTest(name = "\"{0}\" fails at offset {1}")
    @CsvSource({
            "YW*j, 2",       // not in the alphabet
            "YW-j, 2",       // URL-safe alphabet is not gRPC-Web text
            "YWJj_A==, 4",
            "YWJj\tYQ==, 4", // tab is not skipped, unlike CR, LF and space
            "=YWI, 0",       // '=' cannot start a quantum
            "Y=WI, 1",       // nor follow a single character
            "YWJj=, 4",      // nor follow a whole quantum
            "YWI==, 4",      // "YWI=" is complete, so the second '=' starts a quantum
            "YQ=Y, 3",       // after "YQ=" only the second '=' may come
    })
    void invalidCharacterOrMisplacedPaddingIsRejectedNamingTheOffset(String text, int offset) {
        final Base64StreamDecoder decoder = new Base64StreamDecoder();
        final ByteBuf chunk = buffers.ascii(text);
        final ProtocolException e = catchThrowableOfType(ProtocolException.class,
                                                         () -> decoder.decode(ALLOC, chunk));
        assertThat(e.code()).isEqualTo(RpcCode.INVALID_ARGUMENT);
        assertThat(e.getMessage()).contains("offset " + offset);
    }

    @Test
    void offsetCountsEveryEarlierChunk() throws Exception {
        final Base64StreamDecoder decoder = new Base64StreamDecoder();
        hexAndRelease(decoder.decode(ALLOC, buffers.ascii("YWJj")));
        final ByteBuf bad = buffers.ascii("Y!");
        final ProtocolException e = catchThrowableOfType(ProtocolException.class,
                                                         () -> decoder.decode(ALLOC, bad));
        assertThat(e.getMessage()).contains("'!'").contains("offset 5");
    }

    @Test
    void nonAsciiByteIsRejectedAndShownInHex() {
        final Base64StreamDecoder decoder = new Base64StreamDecoder();
        final ByteBuf chunk = buffers.hex("59 c3 a9");
        final ProtocolException e = catchThrowableOfType(ProtocolException.class,
                                                         () -> decoder.decode(ALLOC, chunk));
        assertThat(e.getMessage()).contains("0xC3").contains("offset 1");
    }

    @Test
    void everyByteValueRoundTripsThroughNettyEncoding() throws Exception {
        final byte[] all = new byte[256];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        final ByteBuf text = buffers.track(BodyEncoding.BASE64.encode(ALLOC, buffers.bytes(all)));
        final String ascii = text.toString(StandardCharsets.US_ASCII);
        text.release();
        for (int size : new int[] { 1, 2, 3, 5, 64 }) {
            final List<String> chunks = new ArrayList<>();
            for (int i = 0; i < ascii.length(); i += size) {
                chunks.add(ascii.substring(i, Math.min(ascii.length(), i + size)));
            }
            assertThat(decodeInChunks(chunks)).as("%d-char chunks", size)
                                              .isEqualTo(ByteBufUtil.hexDump(all));
        }
    }

    @Test
    void decodeAfterFinishIsAnErrorAndStillReleasesTheChunk() throws Exception {
        final Base64StreamDecoder decoder = new Base64StreamDecoder();
        hexAndRelease(decoder.finish(ALLOC));
        final ByteBuf late = buffers.ascii("YQ==");
        assertThatThrownBy(() -> decoder.decode(ALLOC, late)).isInstanceOf(IllegalStateException.class);
    }

    /** Feeds each string as its own chunk, then finishes; returns everything decoded, as hex. */
    private String decodeInChunks(List<String> chunks) throws ProtocolException {
        final Base64StreamDecoder decoder = new Base64StreamDecoder();
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String chunk : chunks) {
            out.writeBytes(Buffers.drain(buffers.track(decoder.decode(ALLOC, buffers.ascii(chunk)))));
        }
        out.writeBytes(Buffers.drain(buffers.track(decoder.finish(ALLOC))));
        return ByteBufUtil.hexDump(out.toByteArray());
    }

    private String hexAndRelease(ByteBuf decoded) {
        return ByteBufUtil.hexDump(Buffers.drain(buffers.track(decoded)));
    }
}
