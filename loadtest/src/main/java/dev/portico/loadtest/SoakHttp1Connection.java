package dev.portico.loadtest;

import dev.portico.loadtest.SoakResponse.Ending;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP/1.1 keep-alive connection to Portico, owned by one soak lane: one call at a time. The soak's
 * resets over HTTP/1.1 close the connection (the only way to abandon a call there); the lane opens a new
 * one for its next call. A slow-reader connection reads at most 1 KiB per 10 ms.
 */
final class SoakHttp1Connection extends SoakConnection {
    private final boolean slowReader;
    /** The call in flight, touched only on the channel's event loop. */
    private Call current;

    private SoakHttp1Connection(boolean slowReader) {
        this.slowReader = slowReader;
    }

    /** Connects; blocks at most 5 s; null when the connection could not be opened. */
    static SoakHttp1Connection open(Bootstrap base, int port, boolean slowReader) throws InterruptedException {
        final SoakHttp1Connection self = new SoakHttp1Connection(slowReader);
        final Bootstrap bootstrap = base.clone().handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                if (slowReader) {
                    // With AUTO_READ off, each read() takes one buffer of this size from the socket.
                    ch.config().setAutoRead(false);
                    ch.config().setRecvByteBufAllocator(new FixedRecvByteBufAllocator(1024));
                }
                ch.pipeline().addLast(new HttpClientCodec(), self.new ResponseHandler());
            }
        });
        self.channel = connect(bootstrap, port);
        return self.channel == null ? null : self;
    }

    @Override
    boolean usable() {
        return channel.isActive();
    }

    /** Sends {@code call} on this connection, which must have no call in flight. */
    @Override
    CompletableFuture<Ending> start(SoakCall call, int port, int boundSeconds) throws Exception {
        final CompletableFuture<Ending> ended = new CompletableFuture<>();
        final FullHttpRequest request = new DefaultFullHttpRequest(
                HttpVersion.HTTP_1_1, HttpMethod.POST, call.path(), Unpooled.wrappedBuffer(call.body()));
        request.headers().set(HttpHeaderNames.HOST, "127.0.0.1:" + port);
        call.headers().forEach(request.headers()::set);
        HttpUtil.setContentLength(request, request.content().readableBytes());
        channel.eventLoop().execute(() -> {
            if (current != null) {
                throw new AssertionError("a call is already in flight on this connection");
            }
            final Call c = new Call(call, ended);
            current = c;
            c.watchdog = channel.eventLoop().schedule(() -> {
                c.stuck = true;
                channel.close();
            }, boundSeconds, TimeUnit.SECONDS);
            if (slowReader) {
                c.reader = channel.eventLoop().scheduleAtFixedRate(channel::read, 0, 10, TimeUnit.MILLISECONDS);
            }
            if (!channel.isActive()) {
                finish(c, "connection already closed");
                return;
            }
            channel.writeAndFlush(request).addListener(written -> {
                if (!written.isSuccess()) {
                    c.failure = "request write failed: " + written.cause();
                    channel.close();
                } else if (call.fault() == SoakCall.Fault.RESET_EARLY) {
                    c.cancelledOnPurpose = true;
                    channel.close();
                }
            });
        });
        return ended;
    }

    /** Feeds the response to the call in flight. */
    private final class ResponseHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                final Call c = current;
                if (c == null) {
                    return;   // nothing asked: an answer out of turn is dropped (the next call would see a mess)
                }
                if (msg instanceof HttpResponse head) {
                    if (!head.decoderResult().isSuccess()) {
                        c.failure = "malformed response head: " + head.decoderResult().cause();
                        ctx.close();
                        return;
                    }
                    c.response.head(head.status().code(), lowerCase(head.headers()));
                    c.keepAlive = HttpUtil.isKeepAlive(head);
                }
                if (msg instanceof HttpContent content) {
                    c.response.data(ByteBufUtil.getBytes(content.content()));
                    if (c.call.fault() == SoakCall.Fault.CANCEL_MID_STREAM && c.response.messages() > 0
                        && !(msg instanceof LastHttpContent)) {
                        c.cancelledOnPurpose = true;
                        ctx.close();
                        return;
                    }
                }
                if (msg instanceof LastHttpContent last) {
                    if (!last.decoderResult().isSuccess()) {
                        c.failure = "response cut short: " + last.decoderResult().cause();
                        ctx.close();
                        return;
                    }
                    c.response.trailers(lowerCase(last.trailingHeaders()));
                    c.response.complete();
                    finish(c, null);
                    if (!c.keepAlive) {
                        ctx.close();
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (current != null) {
                current.failure = "connection error: " + cause;
            }
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            final Call c = current;
            if (c != null) {
                finish(c, c.failure != null ? c.failure : "connection closed before the response ended");
            }
        }
    }

    private void finish(Call c, String otherwise) {
        current = null;
        c.watchdog.cancel(false);
        if (c.reader != null) {
            c.reader.cancel(false);
        }
        c.ended.complete(c.response.ending(otherwise, c.stuck, c.cancelledOnPurpose, null));
    }

    private static Map<String, String> lowerCase(HttpHeaders headers) {
        final Map<String, String> out = new HashMap<>();
        headers.forEach(h -> out.putIfAbsent(h.getKey().toLowerCase(Locale.ROOT), h.getValue()));
        return out;
    }

    /** One call's state on this connection. */
    private static final class Call {
        final SoakCall call;
        final CompletableFuture<Ending> ended;
        final SoakResponse response;
        ScheduledFuture<?> watchdog;
        ScheduledFuture<?> reader;
        boolean keepAlive = true;
        boolean cancelledOnPurpose;
        boolean stuck;
        String failure;

        Call(SoakCall call, CompletableFuture<Ending> ended) {
            this.call = call;
            this.ended = ended;
            this.response = new SoakResponse(call.kind().wire);
        }
    }
}
