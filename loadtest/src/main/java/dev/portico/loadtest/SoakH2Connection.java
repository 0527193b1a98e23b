package dev.portico.loadtest;

import dev.portico.loadtest.SoakResponse.Ending;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP/2 cleartext connection to Portico with prior knowledge (RFC 9113 §3.3), shared by several soak
 * lanes: each call is a stream of its own (a Netty child channel), so calls on one connection run at once,
 * and a reset or a slow read touches only its own stream.
 */
final class SoakH2Connection extends SoakConnection {
    private volatile boolean goAwayReceived;

    /** Connects and exchanges SETTINGS (the codec answers Portico's); blocks at most 5 s. */
    static SoakH2Connection open(Bootstrap base, int port) throws InterruptedException {
        final SoakH2Connection[] self = new SoakH2Connection[1];
        final Bootstrap bootstrap = base.clone().handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().build(),
                                      new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()),
                                      new ChannelInboundHandlerAdapter() {
                                          @Override
                                          public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                              if (msg instanceof Http2GoAwayFrame && self[0] != null) {
                                                  self[0].goAwayReceived = true;
                                              }
                                              ReferenceCountUtil.release(msg);
                                          }
                                      });
            }
        });
        self[0] = new SoakH2Connection();
        self[0].channel = connect(bootstrap, port);
        return self[0].channel == null ? null : self[0];
    }

    /** Open, and no GOAWAY seen: new streams may start here. */
    @Override
    boolean usable() {
        return channel.isActive() && !goAwayReceived;
    }

    /** Starts {@code call} on a new stream of this connection. */
    @Override
    CompletableFuture<Ending> start(SoakCall call, int port, int boundSeconds) throws Exception {
        final CompletableFuture<Ending> ended = new CompletableFuture<>();
        final byte[] body = call.body();
        final boolean slow = call.fault() == SoakCall.Fault.SLOW_READER;
        final StreamHandler handler = new StreamHandler(call, ended);
        final Future<Http2StreamChannel> opening = new Http2StreamChannelBootstrap(channel)
                .option(ChannelOption.AUTO_READ, !slow)
                .handler(handler).open();
        if (!opening.await(5, TimeUnit.SECONDS) || !opening.isSuccess()) {
            ended.complete(Ending.of(Ending.Kind.NOT_SENT, "stream not opened",
                                     String.valueOf(opening.cause())));
            return ended;
        }
        final Http2StreamChannel stream = opening.getNow();
        final Http2Headers headers = new DefaultHttp2Headers().method("POST").scheme("http")
                .authority("127.0.0.1:" + port).path(call.path());
        call.headers().forEach(headers::add);
        stream.eventLoop().execute(() -> {
            handler.watchdog = stream.eventLoop().schedule(handler::stuck, boundSeconds, TimeUnit.SECONDS);
            if (slow) {
                // With AUTO_READ off each read() delivers one frame: about 100 frames a second.
                handler.reader = stream.eventLoop().scheduleAtFixedRate(stream::read, 0, 10, TimeUnit.MILLISECONDS);
            }
            stream.write(new DefaultHttp2HeadersFrame(headers, false));
            stream.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(body), true))
                    .addListener(written -> {
                        if (!written.isSuccess()) {
                            handler.failure = "request write failed: " + written.cause();
                            stream.close();
                        } else if (call.fault() == SoakCall.Fault.RESET_EARLY) {
                            handler.cancelledOnPurpose = true;
                            stream.close();   // an open stream's channel closes with RST_STREAM(CANCEL)
                        }
                    });
        });
        return ended;
    }

    /** One call's stream: collects the response and decides the ending when the channel closes. */
    private static final class StreamHandler extends ChannelInboundHandlerAdapter {
        private final SoakCall call;
        private final CompletableFuture<Ending> ended;
        private final SoakResponse response;
        ScheduledFuture<?> watchdog;
        ScheduledFuture<?> reader;
        boolean cancelledOnPurpose;
        String failure;
        private boolean stuck;
        private boolean refused;
        private String reset;
        private Channel stream;

        StreamHandler(SoakCall call, CompletableFuture<Ending> ended) {
            this.call = call;
            this.ended = ended;
            this.response = new SoakResponse(call.kind().wire);
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            stream = ctx.channel();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof Http2HeadersFrame frame) {
                    if (!response.headSeen()) {
                        response.head(Integer.parseInt(frame.headers().status().toString()),
                                      lowerCase(frame.headers()));
                    } else {
                        response.trailers(lowerCase(frame.headers()));
                    }
                    if (frame.isEndStream()) {
                        response.complete();
                    }
                } else if (msg instanceof Http2DataFrame frame) {
                    response.data(ByteBufUtil.getBytes(frame.content()));
                    if (frame.isEndStream()) {
                        response.complete();
                    }
                    if (call.fault() == SoakCall.Fault.CANCEL_MID_STREAM && response.messages() > 0
                        && !frame.isEndStream()) {
                        cancelledOnPurpose = true;
                        ctx.close();
                    }
                } else if (msg instanceof Http2ResetFrame frame) {
                    reset = Http2Error.valueOf(frame.errorCode()) + "";
                    refused = frame.errorCode() == Http2Error.REFUSED_STREAM.code();
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            // Http2MultiplexHandler passes a GOAWAY to each stream above its last stream id: never processed.
            if (evt instanceof Http2GoAwayFrame goAway) {
                refused = true;
            }
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failure = "stream error: " + cause;
            ctx.close();
        }

        void stuck() {
            stuck = true;
            stream.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (watchdog != null) {
                watchdog.cancel(false);
            }
            if (reader != null) {
                reader.cancel(false);
            }
            ended.complete(response.ending(
                    failure != null ? failure
                            : reset != null ? "stream reset by Portico (RST_STREAM " + reset + ")"
                            : "stream closed with the connection",
                    stuck, cancelledOnPurpose,
                    !refused ? null : reset != null ? "RST_STREAM " + reset : "above GOAWAY's last stream id"));
        }

        private static Map<String, String> lowerCase(Http2Headers headers) {
            final Map<String, String> out = new HashMap<>();
            headers.forEach(h -> out.putIfAbsent(h.getKey().toString().toLowerCase(Locale.ROOT),
                                                 h.getValue().toString()));
            return out;
        }
    }
}
