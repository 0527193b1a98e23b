package dev.portico.proxy.transport;

import static java.util.Objects.requireNonNull;

import dev.portico.proxy.wire.GrpcWebSocketWire;
import dev.portico.proxy.wire.HeaderNames;
import dev.portico.proxy.wire.MediaType;
import dev.portico.proxy.wire.PercentEncoding;
import dev.portico.proxy.wire.ProtocolException;
import dev.portico.proxy.wire.RpcCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * One gRPC call over a WebSocket, in improbable-eng's {@code grpc-websockets} format (the wire notes are in
 * {@link GrpcWebSocketWire}), turned into the HTTP objects of a gRPC-Web request for the call handler after it,
 * and its response back into WebSocket messages. The call itself is an ordinary gRPC-Web call (deadlines,
 * metadata, limits, metrics), tagged {@code grpc-websocket}.
 *
 * <ul>
 *   <li><b>In:</b> the header message becomes a {@link WebSocketCallRequest} (POST to the upgrade's path,
 *       the upgrade request's headers under the header message's), the bytes of each data message an
 *       {@link HttpContent}, finish-send the {@link LastHttpContent}.
 *   <li><b>Out:</b> the response head becomes a header frame, each body piece one binary message (gRPC-Web
 *       frames as they are), the end (the trailer frame) one more, then a close frame with code 1000. A
 *       trailers-only answer becomes a header frame and a trailer frame.
 *   <li><b>Backpressure:</b> one WebSocket frame per {@code read()} ({@link OneMessagePerRead} before this),
 *       read only when the call asks for more body, that is while the upstream is ready; the response goes
 *       out as the call writes it, which it does only while the connection is writable. Before the header
 *       message and after finish-send the bridge reads by itself, so that a close (the browser cancelling)
 *       is seen at once.
 *   <li><b>Errors:</b> what the client gets wrong (text or empty messages, an unknown control byte, data after
 *       finish-send, a frame over {@code max-frame-size}, a broken frame) ends the call with its status
 *       (INVALID_ARGUMENT, RESOURCE_EXHAUSTED) in the trailer frame, then a close with code 1002 or 1009.
 *       Before the call exists the bridge answers the same way itself. The client closing cancels the call.
 * </ul>
 *
 * Confined to the connection's event loop.
 */
final class WebSocketCallBridge extends ChannelDuplexHandler {
    private static final ThrottledLog throttledLog =
            new ThrottledLog(LoggerFactory.getLogger(WebSocketCallBridge.class));
    private static final AsciiString SEC_WEBSOCKET_PREFIX = AsciiString.cached("sec-websocket-");

    private enum State {
        /** The handshake is done and the header message has not come: the bridge reads by itself. */
        AWAITING_HEADERS,
        /** The call is on and the client may send: reads happen when the call asks for them. */
        OPEN,
        /** The client finished sending: the bridge reads by itself, for a close or a protocol error. */
        HALF_CLOSED,
        /** The close frame went out: frames are dropped until the client's close or the close timeout. */
        CLOSING
    }

    private final String path;
    private final HttpHeaders upgradeHeaders;
    private final int maxHeaderBytes;
    private final TimeoutPolicy timeouts;
    private final Duration closeTimeout;
    private ChannelHandlerContext ctx;
    private State state = State.AWAITING_HEADERS;
    /** The header message as it arrives, in fragments. */
    private CompositeByteBuf headerMessage;
    /** The client message being received carries request bytes (so do its continuation frames). */
    private boolean inDataMessage;
    /** The call asked for a read that no request object has answered yet. */
    private boolean callWantsRead;
    /** A frame is being handled: reads asked for meanwhile are issued once, when it is done. */
    private boolean handlingFrame;
    /** The close code sent at the end of the call: normal, unless the client broke the protocol. */
    private WebSocketCloseStatus endStatus = WebSocketCloseStatus.NORMAL_CLOSURE;
    /** The header-message timeout, then the close timeout. */
    private ScheduledFuture<?> timer;

    WebSocketCallBridge(String path, HttpHeaders upgradeHeaders, int maxHeaderBytes, TimeoutPolicy timeouts,
                        Duration closeTimeout) {
        this.path = requireNonNull(path, "path");
        this.upgradeHeaders = forwardedHeaders(upgradeHeaders);
        this.maxHeaderBytes = maxHeaderBytes;
        this.timeouts = requireNonNull(timeouts, "timeouts");
        this.closeTimeout = requireNonNull(closeTimeout, "closeTimeout");
    }

    /**
     * The upgrade request's headers go upstream as metadata like those of any request (cookies, a proxy's
     * X-Forwarded-For: improbable-eng/grpc-web#548), except the WebSocket handshake's own.
     */
    private static HttpHeaders forwardedHeaders(HttpHeaders upgrade) {
        final HttpHeaders kept = DefaultHttpHeadersFactory.headersFactory().newHeaders();
        final Iterator<Map.Entry<CharSequence, CharSequence>> it = upgrade.iteratorCharSequence();
        while (it.hasNext()) {
            final Map.Entry<CharSequence, CharSequence> header = it.next();
            if (!AsciiString.of(header.getKey()).toLowerCase().startsWith(SEC_WEBSOCKET_PREFIX)) {
                kept.add(header.getKey(), header.getValue());
            }
        }
        return kept;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext context) {
        this.ctx = context;
        final long headNanos = timeouts.requestHeadNanos();
        if (headNanos > 0) {
            timer = context.executor().schedule(this::headerMessageTimedOut, headNanos, TimeUnit.NANOSECONDS);
        }
        context.read(); // The header message.
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext context) {
        releaseState();
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) {
        releaseState(); // The call handler after this cancels the call, if there is one.
        context.fireChannelInactive();
    }

    private void releaseState() {
        cancelTimer();
        if (headerMessage != null) {
            headerMessage.release();
            headerMessage = null;
        }
    }

    // ---- client to server ----

    @Override
    public void channelRead(ChannelHandlerContext context, Object msg) {
        if (!(msg instanceof WebSocketFrame frame)) {
            // Bytes the HTTP codec held when the handshake ended: a client that did not wait for the 101.
            ReferenceCountUtil.release(msg);
            violation(RpcCode.INVALID_ARGUMENT, "data sent before the WebSocket handshake completed",
                      WebSocketCloseStatus.PROTOCOL_ERROR);
            return;
        }
        handlingFrame = true;
        try {
            onFrame(frame);
        } finally {
            frame.release();
            handlingFrame = false;
        }
        readOnIfWanted();
    }

    private void onFrame(WebSocketFrame frame) {
        if (state == State.CLOSING) {
            if (frame instanceof CloseWebSocketFrame) {
                ctx.close(); // The closing handshake is complete (RFC 6455 section 7.1.1: the server closes).
            }
            return;
        }
        if (frame instanceof CloseWebSocketFrame close) {
            // The client is going away (the browser's cancel is ws.close()). RFC 6455 section 5.5.1: answer
            // with a close; closing the connection then cancels the call, upstream included.
            state = State.CLOSING;
            cancelTimer();
            final int code = close.statusCode() > 0 ? close.statusCode()
                    : WebSocketCloseStatus.NORMAL_CLOSURE.code();
            ctx.writeAndFlush(new CloseWebSocketFrame(code, null)).addListener(ChannelFutureListener.CLOSE);
        } else if (frame instanceof PingWebSocketFrame) {
            ctx.writeAndFlush(new PongWebSocketFrame(frame.content().retain()))
               .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        } else if (frame instanceof BinaryWebSocketFrame || frame instanceof ContinuationWebSocketFrame) {
            onData(frame);
        } else if (!(frame instanceof PongWebSocketFrame)) {
            violation(RpcCode.INVALID_ARGUMENT, "a text message: grpc-websockets messages are binary",
                      WebSocketCloseStatus.INVALID_MESSAGE_TYPE);
        }
    }

    private void onData(WebSocketFrame frame) {
        final boolean first = frame instanceof BinaryWebSocketFrame;
        final ByteBuf payload = frame.content();
        switch (state) {
            case AWAITING_HEADERS -> onHeaderFragment(frame, payload);
            case OPEN -> {
                if (!first) {
                    // The rest of a data message (the decoder refuses continuations of nothing).
                    inDataMessage = !frame.isFinalFragment();
                    deliver(new DefaultHttpContent(payload.retain()));
                    return;
                }
                if (!payload.isReadable()) {
                    violation(RpcCode.INVALID_ARGUMENT, "an empty message: every message after the headers "
                              + "starts with a control byte (0: data, 1: finish-send)",
                              WebSocketCloseStatus.PROTOCOL_ERROR);
                    return;
                }
                final byte control = payload.getByte(payload.readerIndex());
                if (control == GrpcWebSocketWire.DATA) {
                    inDataMessage = !frame.isFinalFragment();
                    deliver(new DefaultHttpContent(payload.retainedSlice(payload.readerIndex() + 1,
                                                                         payload.readableBytes() - 1)));
                } else if (control == GrpcWebSocketWire.FINISH_SEND && payload.readableBytes() == 1
                           && frame.isFinalFragment()) {
                    state = State.HALF_CLOSED;
                    deliver(LastHttpContent.EMPTY_LAST_CONTENT);
                } else {
                    violation(RpcCode.INVALID_ARGUMENT, String.format(
                            "a message starting with 0x%02x of %d bytes: messages after the headers start with "
                            + "0x00 (data), or are the single byte 0x01 (finish-send)", control,
                            payload.readableBytes()), WebSocketCloseStatus.PROTOCOL_ERROR);
                }
            }
            case HALF_CLOSED -> violation(RpcCode.INVALID_ARGUMENT, "a message after finish-send",
                                          WebSocketCloseStatus.PROTOCOL_ERROR);
            case CLOSING -> throw new AssertionError("unexpected " + state);
        }
    }

    private void onHeaderFragment(WebSocketFrame frame, ByteBuf payload) {
        if (headerMessage == null) {
            headerMessage = ctx.alloc().compositeBuffer();
        }
        if (headerMessage.readableBytes() + payload.readableBytes() > maxHeaderBytes) {
            violation(RpcCode.RESOURCE_EXHAUSTED, "a header message over " + maxHeaderBytes
                      + " bytes (limits.max-header-list-bytes)", WebSocketCloseStatus.MESSAGE_TOO_BIG);
            return;
        }
        headerMessage.addComponent(true, payload.retain());
        if (frame.isFinalFragment()) {
            startCall();
        }
    }

    /** The header message is in: the call's request head goes to the call handler. */
    private void startCall() {
        cancelTimer();
        final HttpHeaders sent;
        try {
            sent = GrpcWebSocketWire.parseHeaders(headerMessage);
            checkContentType(sent);
        } catch (ProtocolException e) {
            violation(e.code(), e.getMessage(), WebSocketCloseStatus.PROTOCOL_ERROR);
            return;
        } finally {
            headerMessage.release();
            headerMessage = null;
        }
        final HttpHeaders headers = upgradeHeaders.copy();
        for (String name : sent.names()) {
            headers.set(name, sent.getAll(name)); // The header message's value wins.
        }
        if (!headers.contains(HttpHeaderNames.CONTENT_TYPE)) {
            headers.set(HttpHeaderNames.CONTENT_TYPE, GrpcWebSocketWire.CONTENT_TYPE);
        }
        state = State.OPEN;
        deliver(new WebSocketCallRequest(path, headers));
    }

    /** gRPC-Web binary with either codec; text mode (base64) is not defined over WebSocket. */
    private static void checkContentType(HttpHeaders sent) throws ProtocolException {
        final String value = sent.get(HttpHeaderNames.CONTENT_TYPE);
        if (value == null) {
            return;
        }
        final MediaType type = MediaType.parse(value);
        final String suffix = type.suffix();
        if (!"application".equalsIgnoreCase(type.type()) || !"grpc-web".equalsIgnoreCase(type.subtype())
            || !(suffix.isEmpty() || "proto".equalsIgnoreCase(suffix) || "json".equalsIgnoreCase(suffix))) {
            throw new ProtocolException(RpcCode.INVALID_ARGUMENT, "content-type \"" + value + "\": calls over "
                    + "WebSocket are application/grpc-web, +proto or +json");
        }
    }

    private void deliver(HttpObject request) {
        callWantsRead = false;
        ctx.fireChannelRead(request);
    }

    @Override
    public void read(ChannelHandlerContext context) {
        if (state != State.OPEN) {
            return; // Outside the request stream the bridge reads by itself (readOnIfWanted).
        }
        callWantsRead = true;
        if (!handlingFrame) {
            context.read();
        }
    }

    /** After a frame: the next one, when the call asked for it or the bridge itself waits for one. */
    private void readOnIfWanted() {
        if (!ctx.channel().isActive()) {
            return;
        }
        final boolean wanted = switch (state) {
            case AWAITING_HEADERS, HALF_CLOSED, CLOSING -> true;
            case OPEN -> callWantsRead;
        };
        if (wanted) {
            ctx.read();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
        if (cause instanceof CorruptedWebSocketFrameException corrupt) {
            // The frame decoder's verdict (it drops everything after it): a frame over max-frame-size (1009),
            // an unmasked frame, a bad close frame (1002).
            final boolean tooBig = corrupt.closeStatus().code() == WebSocketCloseStatus.MESSAGE_TOO_BIG.code();
            violation(tooBig ? RpcCode.RESOURCE_EXHAUSTED : RpcCode.INVALID_ARGUMENT,
                      (tooBig ? "a WebSocket frame over portico.websocket.max-frame-size: "
                              : "a malformed WebSocket frame: ") + corrupt.getMessage(),
                      corrupt.closeStatus());
            return;
        }
        context.fireExceptionCaught(cause);
    }

    /**
     * The client broke the protocol: the call ends with {@code code} in its trailers, then the close with
     * {@code closeStatus}. With a call, the call handler ends it (logging it and counting it); before one,
     * the bridge answers itself.
     */
    private void violation(RpcCode code, String message, WebSocketCloseStatus closeStatus) {
        if (state == State.CLOSING) {
            return;
        }
        endStatus = closeStatus;
        if (state == State.AWAITING_HEADERS) {
            throttledLog.warn("websocket-bad-input", "WebSocket call to {} from {}: {}: {}", path,
                              ctx.channel().remoteAddress(), code, message);
            final List<Map.Entry<CharSequence, CharSequence>> status = new ArrayList<>();
            status.add(entry(HeaderNames.GRPC_STATUS, Integer.toString(code.value())));
            status.add(entry(HeaderNames.GRPC_MESSAGE, PercentEncoding.encode(message)));
            writeHeaderFrame(List.of(entry(HttpHeaderNames.CONTENT_TYPE, GrpcWebSocketWire.CONTENT_TYPE)),
                             ctx.newPromise());
            writeHeaderFrame(status, ctx.newPromise());
            sendClose();
            return;
        }
        // ProxyCallHandler ends the call with this status; its end comes back through write().
        ctx.fireExceptionCaught(new ProtocolException(code, message));
    }

    private void headerMessageTimedOut() {
        timer = null;
        if (state == State.AWAITING_HEADERS && ctx.channel().isActive()) {
            timeouts.expired(ctx.channel(), TimeoutKind.REQUEST_HEAD, "closed a WebSocket without its header "
                             + "message after "
                             + TimeoutPolicy.setting("request-head", timeouts.requestHeadNanos()));
            endStatus = WebSocketCloseStatus.POLICY_VIOLATION;
            sendClose();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext context, Object evt) {
        if (Drain.is(evt) && state == State.AWAITING_HEADERS) {
            // No call yet: go now. A call in progress gets the grace period, then ends with UNAVAILABLE.
            endStatus = WebSocketCloseStatus.ENDPOINT_UNAVAILABLE;
            sendClose();
        }
        context.fireUserEventTriggered(evt);
    }

    // ---- server to client ----

    @Override
    public void write(ChannelHandlerContext context, Object msg, ChannelPromise promise) {
        if (!(msg instanceof HttpObject)) {
            context.write(msg, promise);
            return;
        }
        if (state == State.CLOSING) {
            ReferenceCountUtil.release(msg);
            promise.tryFailure(new ClosedChannelException());
            return;
        }
        if (msg instanceof FullHttpResponse response) {
            try {
                writeWholeAnswer(response, promise);
            } finally {
                response.release();
            }
        } else if (msg instanceof HttpResponse response) {
            writeHeaderFrame(headerEntries(response.headers()), promise);
        } else if (msg instanceof LastHttpContent last) {
            // PROTOCOL-WEB.md's trailer frame, as gRPC-Web over HTTP/1.1 ends its body.
            writeBinary(last.content(), promise);
            sendClose();
        } else if (msg instanceof HttpContent content) {
            writeBinary(content.content(), promise);
        }
    }

    /**
     * A whole answer with no body: gRPC-Web's trailers-only (the content type, then the status and trailers)
     * as a header frame and a trailer frame, as grpcwebproxy sends it; another HTTP status as the gRPC status
     * it stands for (http-grpc-status-mapping.md), with the reason as its message.
     */
    private void writeWholeAnswer(FullHttpResponse response, ChannelPromise promise) {
        final List<Map.Entry<CharSequence, CharSequence>> head = new ArrayList<>();
        final List<Map.Entry<CharSequence, CharSequence>> trailers = new ArrayList<>();
        if (response.status().equals(HttpResponseStatus.OK)) {
            for (Map.Entry<CharSequence, CharSequence> header : headerEntries(response.headers())) {
                final CharSequence name = header.getKey();
                (HttpHeaderNames.CONTENT_TYPE.contentEqualsIgnoreCase(name) ? head : trailers).add(header);
            }
        } else {
            head.add(entry(HttpHeaderNames.CONTENT_TYPE, GrpcWebSocketWire.CONTENT_TYPE));
            trailers.add(entry(HeaderNames.GRPC_STATUS,
                               Integer.toString(RpcCode.fromHttpStatus(response.status().code()).value())));
            trailers.add(entry(HeaderNames.GRPC_MESSAGE, PercentEncoding.encode(
                    response.content().toString(StandardCharsets.UTF_8).strip())));
        }
        writeHeaderFrame(head, ctx.newPromise());
        writeHeaderFrame(trailers, promise);
        sendClose();
    }

    /** Every header but HTTP/1.1 framing ones, which mean nothing inside a WebSocket message. */
    private static List<Map.Entry<CharSequence, CharSequence>> headerEntries(HttpHeaders headers) {
        final List<Map.Entry<CharSequence, CharSequence>> entries = new ArrayList<>();
        final Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence();
        while (it.hasNext()) {
            final Map.Entry<CharSequence, CharSequence> header = it.next();
            if (!HeaderNames.isHopByHop(AsciiString.of(header.getKey()).toLowerCase())) {
                entries.add(header);
            }
        }
        return entries;
    }

    /** A header or trailer frame, as a message of its own (the client's parser stops behind one). */
    private void writeHeaderFrame(List<Map.Entry<CharSequence, CharSequence>> headers, ChannelPromise promise) {
        ctx.write(new BinaryWebSocketFrame(GrpcWebSocketWire.headerFrame(ctx.alloc(), headers)), promise);
    }

    /** Takes ownership of {@code bytes}. */
    private void writeBinary(ByteBuf bytes, ChannelPromise promise) {
        if (!bytes.isReadable()) {
            bytes.release();
            promise.trySuccess();
            return;
        }
        ctx.write(new BinaryWebSocketFrame(bytes), promise);
    }

    /** The call is over: the close frame, then wait (reading) for the client's, at most the close timeout. */
    private void sendClose() {
        state = State.CLOSING;
        cancelTimer();
        ctx.writeAndFlush(new CloseWebSocketFrame(endStatus))
           .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        timer = ctx.executor().schedule(() -> ctx.close(), closeTimeout.toNanos(), TimeUnit.NANOSECONDS);
        if (!handlingFrame) {
            ctx.read();
        }
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private static Map.Entry<CharSequence, CharSequence> entry(CharSequence name, CharSequence value) {
        return new SimpleImmutableEntry<>(name, value);
    }
}
