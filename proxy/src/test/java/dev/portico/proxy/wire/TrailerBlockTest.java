package dev.portico.proxy.wire;

import static dev.portico.proxy.wire.Buffers.ALLOC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaders;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TrailerBlockTest {

    private final Buffers buffers = new Buffers();

    @AfterEach
    void everyBufferIsReleased() {
        buffers.assertAllReleased();
    }

    @Test
    void encodeWritesLowerCaseNameColonSpaceValueCrlfLines() {
        final ByteBuf block = buffers.track(TrailerBlock.encode(ALLOC, List.of(
                Map.entry("Grpc-Status", "3"),
                Map.entry(HeaderNames.GRPC_MESSAGE, "bad%20input"),
                Map.entry("x-trace", "a"),
                Map.entry("x-trace", "b"))));
        // PROTOCOL-WEB.md: an HTTP/1 header block without the terminating blank line.
        assertThat(block.toString(StandardCharsets.US_ASCII))
                .isEqualTo("grpc-status: 3\r\ngrpc-message: bad%20input\r\nx-trace: a\r\nx-trace: b\r\n");
        block.release();
    }

    @Test
    void encodeOfNoTrailersIsEmpty() {
        final ByteBuf block = buffers.track(TrailerBlock.encode(ALLOC, List.of()));
        assertThat(block.readableBytes()).isZero();
        block.release();
    }

    @Test
    void encodeRejectsLineBreaksThatWouldForgeATrailer() {
        assertThatThrownBy(() -> TrailerBlock.encode(ALLOC, List.of(Map.entry("x", "a\r\ngrpc-status: 0"))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TrailerBlock.encode(ALLOC, List.of(Map.entry("x\n", "a"))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            "grpc-status:0\r\ngrpc-message:ok\r\n",           // Envoy, tonic, APISIX
            "grpc-status: 0\r\ngrpc-message: ok\r\n",         // Armeria, grpc-dotnet, Go
            "grpc-status:   0  \r\ngrpc-message:\tok\r\n",
            "Grpc-Status: 0\r\nGRPC-MESSAGE: ok\r\n",
            "grpc-status: 0\r\ngrpc-message: ok",             // last line end missing
            "grpc-status: 0\ngrpc-message: ok\n",             // bare LF
            "grpc-status: 0\r\ngrpc-message: ok\r\n\r\n",     // trailing blank line
    })
    void parseAcceptsBothSpacingStylesAndTrims(String text) throws Exception {
        final HttpHeaders trailers = parseAndRelease(text);
        assertThat(trailers.get(HeaderNames.GRPC_STATUS)).isEqualTo("0");
        assertThat(trailers.get(HeaderNames.GRPC_MESSAGE)).isEqualTo("ok");
        assertThat(trailers.size()).isEqualTo(2);
        assertThat(trailers.names()).containsExactlyInAnyOrder("grpc-status", "grpc-message");
    }

    @Test
    void parseKeepsRepeatedNamesAndValuesContainingColons() throws Exception {
        final HttpHeaders trailers = parseAndRelease("x-a: 1\r\nx-b: http://h:1/p\r\nx-a: 2\r\n");
        assertThat(trailers.getAll("x-a")).containsExactly("1", "2");
        assertThat(trailers.get("x-b")).isEqualTo("http://h:1/p");
    }

    @Test
    void parseOfAnEmptyBlockIsEmpty() throws Exception {
        assertThat(parseAndRelease("").isEmpty()).isTrue();
        assertThat(parseAndRelease("\r\n").isEmpty()).isTrue();
    }

    @Test
    void parseAcceptsAnEmptyValue() throws Exception {
        assertThat(parseAndRelease("grpc-message:\r\n").get(HeaderNames.GRPC_MESSAGE)).isEmpty();
    }

    @Test
    void parseNeitherTakesOwnershipNorMovesTheIndices() throws Exception {
        final ByteBuf block = buffers.hex("ffff 677270632d7374617475733a20300d0a"); // "grpc-status: 0\r\n"
        block.readerIndex(2);
        assertThat(TrailerBlock.parse(block).get(HeaderNames.GRPC_STATUS)).isEqualTo("0");
        assertThat(block.refCnt()).isOne();
        assertThat(block.readerIndex()).isEqualTo(2);
        block.release();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            "grpc-status 0\r\n",
            "grpc-status: 0\r\nno colon here\r\n",
            ": 0\r\n",
            "grpc status: 0\r\n",
            "grpc-status: 0\r\n\r\ngrpc-message: late\r\n",
            "grpc-message: a\u0000b\r\n",
            "grpc-message: a\rb\r\n",
    })
    void parseRejectsMalformedLines(String text) {
        final ByteBuf block = buffers.ascii(text);
        final ProtocolException e = catchThrowableOfType(ProtocolException.class,
                                                         () -> TrailerBlock.parse(block));
        assertThat(e.code()).isEqualTo(RpcCode.INTERNAL);
        assertThat(e.getMessage()).contains("line");
        block.release();
    }

    @Test
    void encodedBlockParsesBackAsFramedByMessageFramer() throws Exception {
        final ByteBuf block = TrailerBlock.encode(ALLOC, List.of(Map.entry(HeaderNames.GRPC_STATUS, "0"),
                                                                 Map.entry("x-cost", "237")));
        final ByteBuf frame = buffers.track(
                MessageFramer.frame(ALLOC, EnvelopeFormat.GRPC_WEB, block, false, true));
        assertThat(Buffers.toHex(frame)).startsWith("800000001d");
        final HttpHeaders parsed = TrailerBlock.parse(frame.skipBytes(MessageFramer.HEADER_LENGTH));
        assertThat(parsed.get(HeaderNames.GRPC_STATUS)).isEqualTo("0");
        assertThat(parsed.get("x-cost")).isEqualTo("237");
        frame.release();
    }

    private HttpHeaders parseAndRelease(String text) throws ProtocolException {
        final ByteBuf block = buffers.ascii(text);
        try {
            return TrailerBlock.parse(block);
        } finally {
            block.release();
        }
    }
}
