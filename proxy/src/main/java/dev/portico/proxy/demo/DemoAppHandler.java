package dev.portico.proxy.demo;

import dev.portico.proxy.transport.PlainResponses;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Serves the web demo app (web-demo/site, packed into the jar under {@code web-demo/}) and
 * {@code /portico.json}, which tells the app where Portico listens. GET only.
 */
@ChannelHandler.Sharable
final class DemoAppHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final String HTML = "text/html; charset=utf-8";
    /** Path → file. Loaded once: the files are small, and a jar built without them fails at start-up. */
    private static final Map<String, File> FILES = Map.of(
            "/", File.load("index.html", HTML),
            "/index.html", File.load("index.html", HTML),
            "/app.js", File.load("app.js", "text/javascript; charset=utf-8"),
            "/style.css", File.load("style.css", "text/css; charset=utf-8"));

    private record File(byte[] body, String contentType) {
        static File load(String name, String contentType) {
            try (InputStream in = DemoAppHandler.class.getResourceAsStream("/web-demo/" + name)) {
                if (in == null) {
                    throw new IllegalStateException("web-demo/" + name + " is missing from the jar");
                }
                return new File(in.readAllBytes(), contentType);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private final File porticoJson;

    DemoAppHandler(String porticoScheme, int porticoPort) {
        // Only the scheme and port: the app adds the host name it was loaded from, so that the same page works
        // as http://localhost:8081 and http://192.168.1.5:8081 (a phone on the LAN).
        this.porticoJson = new File(("{\"scheme\":\"" + porticoScheme + "\",\"port\":" + porticoPort + "}")
                                            .getBytes(StandardCharsets.UTF_8), "application/json");
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        final String path = request.uri().split("\\?", 2)[0];
        final File file = "/portico.json".equals(path) ? porticoJson : FILES.get(path);
        final FullHttpResponse response;
        if (!HttpMethod.GET.equals(request.method())) {
            response = PlainResponses.of(ctx.alloc(), HttpResponseStatus.METHOD_NOT_ALLOWED, "use GET");
        } else if (file == null) {
            response = PlainResponses.of(ctx.alloc(), HttpResponseStatus.NOT_FOUND, "not found; try /");
        } else {
            response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                                                   Unpooled.wrappedBuffer(file.body()));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, file.contentType());
            response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
            HttpUtil.setContentLength(response, file.body().length);
        }
        final boolean keepAlive = HttpUtil.isKeepAlive(request);
        HttpUtil.setKeepAlive(response, keepAlive);
        ctx.writeAndFlush(response).addListener(keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE
                                                          : ChannelFutureListener.CLOSE);
    }
}
