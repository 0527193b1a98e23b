package dev.portico.proxy.demo;

import dev.portico.proxy.transport.AnsweredRequest;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;

/**
 * Serves the web demo page (web-demo/static, packed into the jar) on GET in demo mode, so that a browser
 * pointed at Portico can call the demo service at once. Every other request passes on.
 */
public final class DemoPageHandler extends ChannelInboundHandlerAdapter {
    /** Path → (classpath resource, content type). Loaded once: the files are small. */
    private static final Map<String, Page> PAGES = Map.of(
            "/", Page.load("index.html", "text/html; charset=utf-8"),
            "/index.html", Page.load("index.html", "text/html; charset=utf-8"),
            "/app.js", Page.load("app.js", "text/javascript; charset=utf-8"),
            "/style.css", Page.load("style.css", "text/css; charset=utf-8"));

    private record Page(byte[] body, String contentType) {
        static Page load(String file, String contentType) {
            try (InputStream in = DemoPageHandler.class.getResourceAsStream("/web-demo/" + file)) {
                if (in == null) {
                    throw new IllegalStateException("web-demo/" + file + " is missing from the jar");
                }
                return new Page(in.readAllBytes(), contentType);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private final AnsweredRequest answered = new AnsweredRequest();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (answered.discard(ctx, msg)) {
            return;
        }
        if (msg instanceof HttpRequest request) {
            final Optional<FullHttpResponse> page = page(request);
            if (page.isPresent()) {
                ctx.writeAndFlush(page.get()).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
                answered.answered(ctx, msg);
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    /** The demo page {@code request} asks for, if it asks for one. */
    public static Optional<FullHttpResponse> page(HttpRequest request) {
        if (!HttpMethod.GET.equals(request.method())) {
            return Optional.empty();
        }
        final Page page = PAGES.get(request.uri().split("\\?", 2)[0]);
        if (page == null) {
            return Optional.empty();
        }
        final FullHttpResponse response = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(page.body()));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, page.contentType());
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        HttpUtil.setContentLength(response, page.body().length);
        return Optional.of(response);
    }
}
