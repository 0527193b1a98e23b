package dev.portico.proxy.transport;

import static java.util.Objects.requireNonNull;

import dev.portico.config.WebSocketSettings;
import dev.portico.proxy.wire.GrpcWebSocketWire;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker13;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.util.ReferenceCountUtil;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import org.slf4j.LoggerFactory;

/**
 * Takes an HTTP/1.1 connection's upgrade to gRPC-Web over WebSocket ({@link GrpcWebSocketWire}): a GET with
 * {@code Upgrade: websocket} and the {@code grpc-websockets} subprotocol, to a method's path, from an allowed
 * origin. It completes the handshake (RFC 6455 version 13), swaps the HTTP/1.1 request handlers for a
 * {@link WebSocketCallBridge}, and leaves the call handler after it as it is. Other requests pass by.
 *
 * <p>Refusals, each in one throttled log line and then the connection closes: 403 for an origin not allowed
 * (a page of another site must not call with the user's cookies: cross-site WebSocket hijacking), 400 for a
 * WebSocket upgrade without the subprotocol, 426 for another WebSocket version. A path that names no method
 * is answered by the call, like any gRPC-Web call's: UNIMPLEMENTED. Sits in the shared request pipeline and
 * removes itself from pipelines that are not HTTP/1.1.
 */
public final class WebSocketUpgradeHandler extends ChannelInboundHandlerAdapter {
    private static final ThrottledLog throttledLog =
            new ThrottledLog(LoggerFactory.getLogger(WebSocketUpgradeHandler.class));
    /** The HTTP/1.1 request handlers that have no part in a WebSocket (the call handler stays). */
    private static final List<String> HTTP1_REQUEST_HANDLERS = List.of(
            HandlerNames.REQUEST_TIMEOUTS, HandlerNames.EXPECT_CONTINUE, HandlerNames.KEEP_ALIVE,
            HandlerNames.HTTP1_DRAIN, HandlerNames.CORS, HandlerNames.DEMO_PAGE);

    private final WebSocketSettings settings;
    private final Predicate<String> originAllowed;
    private final int maxHeaderBytes;
    private final TimeoutPolicy timeouts;
    /** An upgrade request whose (empty) end has not been read yet. */
    private HttpRequest pendingHead;

    /**
     * @param originAllowed whether a browser origin (the {@code Origin} header) is in
     *                      {@code portico.websocket.allowed-origins}
     * @param maxHeaderBytes the largest header message a client may send ({@code limits.max-header-list-bytes})
     */
    public WebSocketUpgradeHandler(WebSocketSettings settings, Predicate<String> originAllowed,
                                   int maxHeaderBytes, TimeoutPolicy timeouts) {
        this.settings = requireNonNull(settings, "settings");
        this.originAllowed = requireNonNull(originAllowed, "originAllowed");
        this.maxHeaderBytes = maxHeaderBytes;
        this.timeouts = requireNonNull(timeouts, "timeouts");
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.pipeline().get(HttpServerCodec.class) == null) {
            ctx.pipeline().remove(this); // An HTTP/2 stream: no upgrades there.
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (pendingHead != null && msg instanceof HttpContent content) {
            final boolean empty = !content.content().isReadable();
            final boolean last = msg instanceof LastHttpContent;
            content.release();
            if (!empty) {
                pendingHead = null;
                refuse(ctx, HttpResponseStatus.BAD_REQUEST, "a WebSocket upgrade request has no body");
            } else if (last) {
                final HttpRequest head = pendingHead;
                pendingHead = null;
                upgrade(ctx, head);
            } else {
                ctx.read();
            }
            return;
        }
        if (!(msg instanceof HttpRequest request) || !isWebSocketUpgrade(request)) {
            ctx.fireChannelRead(msg);
            return;
        }
        final String refusal = refusal(request);
        if (refusal != null) {
            ReferenceCountUtil.release(msg);
            refuse(ctx, refusal.startsWith("origin") ? HttpResponseStatus.FORBIDDEN
                    : HttpResponseStatus.BAD_REQUEST, refusal);
            return;
        }
        if (msg instanceof LastHttpContent) {
            upgrade(ctx, request);
        } else {
            pendingHead = request; // The end of a GET follows (HTTP/1.1 without the h2c upgrade handler).
            ctx.read();
        }
    }

    private static boolean isWebSocketUpgrade(HttpRequest request) {
        return HttpMethod.GET.equals(request.method())
               && hasToken(request.headers(), HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET.toString());
    }

    /** Why the upgrade is refused, starting with "origin" when that is what is wrong, or null. */
    private String refusal(HttpRequest request) {
        final HttpHeaders headers = request.headers();
        if (!hasToken(headers, HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL, GrpcWebSocketWire.SUBPROTOCOL)) {
            return "Portico takes WebSocket upgrades with the subprotocol " + GrpcWebSocketWire.SUBPROTOCOL
                   + " (improbable-eng's gRPC-Web transport) only";
        }
        final String origin = headers.get(HttpHeaderNames.ORIGIN);
        if (origin != null && !sameOrigin(origin, headers.get(HttpHeaderNames.HOST))
            && !originAllowed.test(origin)) {
            return "origin " + abbreviate(origin) + " is not in portico.websocket.allowed-origins";
        }
        return null;
    }

    /** A page Portico serves itself opens WebSockets with its own origin: its authority is the Host. */
    private static boolean sameOrigin(String origin, String host) {
        if (host == null) {
            return false;
        }
        try {
            final URI uri = new URI(origin);
            if (uri.getHost() == null || uri.getScheme() == null) {
                return false;
            }
            final int port = uri.getPort() >= 0 ? uri.getPort()
                    : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
            final String authority = uri.getRawAuthority();
            return host.equalsIgnoreCase(authority) || host.equalsIgnoreCase(authority + ':' + port);
        } catch (URISyntaxException e) {
            return false; // Not an origin at all: only the allowed list could take it.
        }
    }

    private void upgrade(ChannelHandlerContext ctx, HttpRequest request) {
        if (!"13".equals(request.headers().get(HttpHeaderNames.SEC_WEBSOCKET_VERSION))) {
            ReferenceCountUtil.release(request);
            throttledLog.warn("websocket-version", "refused a WebSocket upgrade from {}: version {} (only 13)",
                              ctx.channel().remoteAddress(),
                              request.headers().get(HttpHeaderNames.SEC_WEBSOCKET_VERSION));
            // RFC 6455 section 4.4: 426 with the versions the server speaks.
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel())
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        final WebSocketServerHandshaker handshaker = new WebSocketServerHandshaker13(
                request.uri(), GrpcWebSocketWire.SUBPROTOCOL, WebSocketDecoderConfig.newBuilder()
                        .maxFramePayloadLength(settings.maxFrameBytes())
                        .allowExtensions(false)
                        // RFC 6455 section 5.1: a server closes on an unmasked client frame.
                        .allowMaskMismatch(false)
                        // The bridge answers violations itself: with the call's status, then the close.
                        .closeOnProtocolViolation(false)
                        .build());
        final FullHttpRequest full = request instanceof FullHttpRequest f ? f
                : new DefaultFullHttpRequest(request.protocolVersion(), request.method(), request.uri(),
                                             Unpooled.EMPTY_BUFFER, request.headers(),
                                             EmptyHttpHeaders.INSTANCE);
        final WebSocketCallBridge bridge = new WebSocketCallBridge(
                full.uri(), full.headers(), maxHeaderBytes, timeouts, settings.closeTimeout());
        for (String name : HTTP1_REQUEST_HANDLERS) {
            if (ctx.pipeline().get(name) != null) {
                ctx.pipeline().remove(name);
            }
        }
        try {
            handshaker.handshake(ctx.channel(), full).addListener(future -> {
                if (future.isSuccess()) {
                    // Before the access log's handler, so that it sees the call's request and response as
                    // for any HTTP/1.1 call.
                    final String next = ctx.pipeline().get(HandlerNames.EXCHANGE) != null
                                        ? HandlerNames.EXCHANGE : ctx.name();
                    ctx.pipeline().addBefore(next, HandlerNames.WEBSOCKET, bridge);
                    ctx.pipeline().remove(this);
                } else {
                    ConnectionExceptions.report(ctx.channel(), future.cause());
                    ctx.close();
                }
            });
        } catch (WebSocketHandshakeException e) {
            // A missing or malformed Sec-WebSocket-Key.
            refuse(ctx, HttpResponseStatus.BAD_REQUEST, "bad WebSocket handshake: " + e.getMessage());
        } finally {
            full.release();
        }
    }

    private void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String reason) {
        throttledLog.warn("websocket-refused", "refused a WebSocket upgrade from {}: {} {}",
                          ctx.channel().remoteAddress(), status.code(), reason);
        final FullHttpResponse response = PlainResponses.of(ctx.alloc(), status, reason);
        HttpUtil.setKeepAlive(response, false);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    /** Whether a comma-separated header has {@code token}, ignoring case (RFC 9110 tokens are case-blind). */
    private static boolean hasToken(HttpHeaders headers, CharSequence name, String token) {
        for (String value : headers.getAll(name)) {
            for (String part : value.split(",")) {
                if (part.trim().toLowerCase(Locale.ROOT).equals(token)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String abbreviate(String text) {
        return '"' + (text.length() > 200 ? text.substring(0, 200) + "..." : text) + '"';
    }
}
