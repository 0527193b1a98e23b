package dev.portico.proxy.wire;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Map;

/**
 * The wire format of improbable-eng's {@code grpc-websockets} transport, the only gRPC-over-WebSocket mapping
 * with clients in the field: {@code @improbable-eng/grpc-web} 0.15.0 ({@code grpc.WebsocketTransport()},
 * client/grpc-web/src/transports/websocket/websocket.ts) and grpcwebproxy (go/grpcweb/wrapper.go and
 * websocket_wrapper.go). There is no spec; these notes are what those two do, byte for byte.
 *
 * <p><b>Handshake.</b> An HTTP/1.1 GET to the method's path, {@code /package.Service/Method} (the client turns
 * {@code http(s)://host/pkg.Svc/M} into {@code ws(s)://...}), with {@code Upgrade: websocket} and
 * {@code Sec-WebSocket-Protocol: grpc-websockets} ({@link #SUBPROTOCOL}); the server must select that
 * subprotocol or the browser fails the connection. grpcwebproxy checks the Origin with its own websocket
 * origin function (by default: same host) and answers 403 when refused. One call per WebSocket.
 *
 * <p><b>Client to server</b>, binary messages only (the client sets {@code binaryType = "arraybuffer"};
 * grpcwebproxy fails on a text message):
 * <ol>
 *   <li>The first message is the request metadata as an HTTP/1 header block, one {@code name: value\r\n}
 *       line per key, several values joined by {@code ", "}, no blank line at the end, no control byte. The
 *       client always puts {@code content-type: application/grpc-web+proto} and {@code x-grpc-web: 1} in it
 *       (and {@code grpc-timeout} when given). grpcwebproxy parses it with Go's
 *       {@code textproto.ReadMIMEHeader} and sends the call as gRPC-Web; text mode (base64) is not
 *       supported over WebSocket.
 *   <li>Every later message starts with one control byte: {@link #DATA} ({@code 0x00}) followed by request
 *       bytes, or exactly the one byte {@link #FINISH_SEND} ({@code 0x01}): the client is done sending (the
 *       request body's end, a half-close). The data bytes form the gRPC-Web request body: length-prefixed
 *       messages (flag byte, 4-byte big-endian length, message) as over HTTP. The client sends each message
 *       as one WebSocket message, but grpcwebproxy reads them as one byte stream, so a frame may span
 *       messages; Portico reads them the same way.
 *   <li>Cancelling is closing the WebSocket (the client's {@code cancel()} is {@code ws.close()}): the server
 *       cancels the call. grpcwebproxy keeps reading after finish-send for that reason (its 0.14.1 fix).
 * </ol>
 *
 * <p><b>Server to client</b>, binary messages holding a gRPC-Web response body:
 * <ol>
 *   <li>The response headers as a frame with flag {@code 0x80} (the trailer flag), a 4-byte big-endian
 *       length and an HTTP/1 header block: {@link #headerFrame}. The client takes the first {@code 0x80}
 *       frame as the headers and the second as the trailers.
 *   <li>The response messages as gRPC-Web data frames.
 *   <li>The trailers as a second {@code 0x80} frame (lower-case names, {@code grpc-status} always there),
 *       then a close frame with code 1000 (grpcwebproxy: "request body closed").
 * </ol>
 * A call that fails before any message ends with the header frame and the trailer frame (grpcwebproxy sends
 * both, as grpc-go's HTTP handler does); the client also accepts a header frame carrying
 * {@code grpc-status} followed by the close. The client's chunk parser stops at every {@code 0x80} frame and
 * goes on only with the next WebSocket message, so a header frame must be a message of its own, with no
 * data frame behind it; grpcwebproxy sends even the 5-byte prefix and the block as two messages. Header
 * blocks must be printable ASCII (the client throws on anything else).
 */
public final class GrpcWebSocketWire {
    /** The WebSocket subprotocol both sides name. */
    public static final String SUBPROTOCOL = "grpc-websockets";
    /** Control byte of a client message carrying request bytes. */
    public static final byte DATA = 0x00;
    /** The whole of a client message saying it has finished sending. */
    public static final byte FINISH_SEND = 0x01;
    /** The content type of every call: the client always sends it, and text mode is not defined here. */
    public static final String CONTENT_TYPE = "application/grpc-web+proto";

    private GrpcWebSocketWire() {
    }

    /**
     * Parses the first client message, the request's header block (see {@link TrailerBlock#parse} for the
     * syntax accepted). Does not take ownership of {@code block}.
     *
     * @throws ProtocolException INVALID_ARGUMENT for a block that is not a header block
     */
    public static HttpHeaders parseHeaders(ByteBuf block) throws ProtocolException {
        try {
            return TrailerBlock.parse(block);
        } catch (ProtocolException e) {
            throw new ProtocolException(RpcCode.INVALID_ARGUMENT, "the first WebSocket message must be the "
                    + "request headers as \"name: value\\r\\n\" lines: " + e.getMessage(), e);
        }
    }

    /**
     * A response header frame: flag {@code 0x80}, length, and {@code headers} as a header block. The caller
     * must release the result.
     */
    public static ByteBuf headerFrame(ByteBufAllocator alloc,
                                      Iterable<Map.Entry<CharSequence, CharSequence>> headers) {
        requireNonNull(alloc, "alloc");
        return MessageFramer.frame(alloc, EnvelopeFormat.GRPC_WEB, TrailerBlock.encode(alloc, headers), false,
                                   true);
    }
}
