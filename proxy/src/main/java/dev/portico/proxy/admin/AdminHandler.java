package dev.portico.proxy.admin;

import dev.portico.proxy.transport.PlainResponses;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufUtil;
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

/**
 * The admin port: {@code GET /metrics} in the Prometheus text format, and {@code GET /healthz} (the
 * process is up). Kept off the main listener so that metrics need not be exposed to browsers.
 */
@ChannelHandler.Sharable
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final PrometheusMeterRegistry registry;

    AdminHandler(PrometheusMeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        final String path = request.uri().split("\\?", 2)[0];
        final FullHttpResponse response;
        if (!HttpMethod.GET.equals(request.method())) {
            response = PlainResponses.of(ctx.alloc(), HttpResponseStatus.METHOD_NOT_ALLOWED, "use GET");
        } else if ("/metrics".equals(path)) {
            // Scraping formats a few KiB of text; it is cheap enough for the event loop.
            response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                                                   ByteBufUtil.writeUtf8(ctx.alloc(), registry.scrape()));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
            HttpUtil.setContentLength(response, response.content().readableBytes());
        } else if ("/healthz".equals(path)) {
            response = PlainResponses.of(ctx.alloc(), HttpResponseStatus.OK, "ok");
        } else {
            response = PlainResponses.of(ctx.alloc(), HttpResponseStatus.NOT_FOUND, "try /metrics or /healthz");
        }
        final boolean keepAlive = HttpUtil.isKeepAlive(request);
        HttpUtil.setKeepAlive(response, keepAlive);
        ctx.writeAndFlush(response).addListener(keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE
                                                          : ChannelFutureListener.CLOSE);
    }
}
