package dev.portico.proxy.admin;

import dev.portico.health.Readiness;
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
 * The admin port: {@code GET /metrics} in the Prometheus text format, {@code GET /healthz} (liveness: the
 * process is up and serving) and {@code GET /readyz} (readiness: 200 when every upstream cluster has a healthy
 * endpoint, else 503, with the reason in the body). Kept off the main listener so that metrics need not be
 * exposed to browsers.
 */
@ChannelHandler.Sharable
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final PrometheusMeterRegistry registry;
    private final Readiness readiness;

    AdminHandler(PrometheusMeterRegistry registry, Readiness readiness) {
        this.registry = registry;
        this.readiness = readiness;
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
        } else if ("/readyz".equals(path)) {
            final Readiness.Report report = readiness.check();
            response = PlainResponses.of(ctx.alloc(), report.ready() ? HttpResponseStatus.OK
                                                                     : HttpResponseStatus.SERVICE_UNAVAILABLE,
                                         report.detail());
        } else {
            response = PlainResponses.of(ctx.alloc(), HttpResponseStatus.NOT_FOUND,
                                         "try /metrics, /healthz or /readyz");
        }
        final boolean keepAlive = HttpUtil.isKeepAlive(request);
        HttpUtil.setKeepAlive(response, keepAlive);
        ctx.writeAndFlush(response).addListener(keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE
                                                          : ChannelFutureListener.CLOSE);
    }
}
