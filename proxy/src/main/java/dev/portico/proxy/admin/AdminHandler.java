package dev.portico.proxy.admin;

import dev.portico.health.Readiness;
import dev.portico.proxy.explorer.ExplorerAnswer;
import dev.portico.proxy.explorer.ExplorerApi;
import dev.portico.proxy.transport.PlainResponses;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin port: {@code GET /metrics} in the Prometheus text format, {@code GET /healthz} (liveness: the
 * process is up and serving), {@code GET /readyz} (readiness: 200 when every upstream cluster has a healthy
 * endpoint, else 503, with the reason in the body) and, when enabled, the API explorer under
 * {@code /explorer/} ({@link ExplorerApi}). Kept off the main listener so that none of it is exposed to
 * browsers calling Portico.
 *
 * <p>Runs with auto-read off behind a one-message-per-read handler and reads the next request only once the
 * answer to the last one is written: the explorer answers later, from other threads, and answers must keep
 * the order of their requests.
 */
@ChannelHandler.Sharable
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);
    /**
     * The explorer's page loads only its own files and JSON, and calls Portico's listener (another origin,
     * whichever it is); nothing may frame it.
     */
    private static final AsciiString X_CONTENT_TYPE_OPTIONS = AsciiString.cached("x-content-type-options");
    private static final String EXPLORER_CSP = "default-src 'self'; connect-src 'self' http: https:; "
                                               + "img-src 'self' data:; frame-ancestors 'none'";

    private final PrometheusMeterRegistry registry;
    private final Readiness readiness;
    private final Optional<ExplorerApi> explorer;

    AdminHandler(PrometheusMeterRegistry registry, Readiness readiness, Optional<ExplorerApi> explorer) {
        this.registry = registry;
        this.readiness = readiness;
        this.explorer = explorer;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.read();
        ctx.fireChannelActive();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        final String path = request.uri().split("\\?", 2)[0];
        final boolean keepAlive = HttpUtil.isKeepAlive(request);
        final FullHttpResponse response;
        if (!HttpMethod.GET.equals(request.method())) {
            response = PlainResponses.of(ctx.alloc(), HttpResponseStatus.METHOD_NOT_ALLOWED, "use GET");
        } else if (explorer.isPresent() && ExplorerApi.owns(path)) {
            answerLater(ctx, explorer.get(), request.uri(), keepAlive);
            return;
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
        respond(ctx, keepAlive, response);
    }

    /** Writes the explorer's answer once it is there, on the channel's event loop. */
    private static void answerLater(ChannelHandlerContext ctx, ExplorerApi explorer, String uri,
                                    boolean keepAlive) {
        explorer.answer(uri).whenComplete((answer, error) -> ctx.executor().execute(() -> {
            if (error != null) {
                log.warn("the API explorer failed to answer {}", uri, error);
                respond(ctx, keepAlive, PlainResponses.of(ctx.alloc(), HttpResponseStatus.INTERNAL_SERVER_ERROR,
                                                          "the explorer failed: " + error));
            } else {
                respond(ctx, keepAlive, explorerResponse(answer));
            }
        }));
    }

    private static FullHttpResponse explorerResponse(ExplorerAnswer answer) {
        final FullHttpResponse response = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, answer.status(), Unpooled.wrappedBuffer(answer.body()));
        final HttpHeaders headers = response.headers();
        headers.set(HttpHeaderNames.CONTENT_TYPE, answer.contentType());
        headers.set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        headers.set(HttpHeaderNames.CONTENT_SECURITY_POLICY, EXPLORER_CSP);
        headers.set(X_CONTENT_TYPE_OPTIONS, "nosniff");
        answer.location().ifPresent(location -> headers.set(HttpHeaderNames.LOCATION, location));
        HttpUtil.setContentLength(response, answer.body().length);
        return response;
    }

    /** Writes {@code response}, then reads the next request, or closes the connection. */
    private static void respond(ChannelHandlerContext ctx, boolean keepAlive, FullHttpResponse response) {
        HttpUtil.setKeepAlive(response, keepAlive);
        ctx.writeAndFlush(response).addListener((ChannelFutureListener) written -> {
            if (written.isSuccess() && keepAlive) {
                ctx.read();
            } else {
                ctx.close();
            }
        });
    }
}
