package dev.portico.proxy.demo;

import dev.portico.proxy.transport.AnsweredRequest;
import dev.portico.proxy.transport.PlainResponses;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * In demo mode, sends a browser that opens Portico's own address ({@code GET /}) to the demo app, which is
 * served from another port ({@link DemoAppServer}) so that its calls are cross-origin. The redirect keeps
 * the host name the browser used (localhost, 127.0.0.1, a LAN address). Every other request passes on.
 * This handler serves HTTP/1.1 connections; an HTTP/2 stream's listener asks {@link #redirect} itself.
 */
public final class DemoRedirectHandler extends ChannelInboundHandlerAdapter {
    private static final Set<String> PAGE_PATHS = Set.of("/", "/index.html");
    /** A host name, IPv4 or bracketed IPv6 literal, then an optional port: what a Host header holds. */
    private static final Pattern HOST = Pattern.compile("(?<name>[A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\])(:\\d+)?");

    private final int appPort;
    private final AnsweredRequest answered = new AnsweredRequest();

    /** @param appPort the port the demo app is served on */
    public DemoRedirectHandler(int appPort) {
        this.appPort = appPort;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (answered.discard(ctx, msg)) {
            return;
        }
        if (msg instanceof HttpRequest request) {
            final Optional<FullHttpResponse> redirect = redirect(request, appPort, ctx.alloc());
            if (redirect.isPresent()) {
                ctx.writeAndFlush(redirect.get()).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
                answered.answered(ctx, msg);
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    /** The redirect to the demo app on {@code appPort} if {@code request} opens Portico's page, else empty. */
    public static Optional<FullHttpResponse> redirect(HttpRequest request, int appPort,
                                                      ByteBufAllocator alloc) {
        final String path = request.uri().split("\\?", 2)[0];
        if (!HttpMethod.GET.equals(request.method()) || !PAGE_PATHS.contains(path)) {
            return Optional.empty();
        }
        final String location = "http://" + hostName(request) + ':' + appPort + '/';
        final FullHttpResponse response = PlainResponses.of(
                alloc, HttpResponseStatus.FOUND, "the demo app is served from " + location);
        response.headers().set(HttpHeaderNames.LOCATION, location);
        return Optional.of(response);
    }

    /** The host the browser asked for, without its port; loopback when the request names none usable. */
    private static String hostName(HttpRequest request) {
        final String host = request.headers().get(HttpHeaderNames.HOST);
        final Matcher matcher = host == null ? null : HOST.matcher(host);
        return matcher != null && matcher.matches() ? matcher.group("name") : "127.0.0.1";
    }
}
