package dev.portico.proxy.transport;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameStreamEvent;
import io.netty.handler.codec.http2.Http2FrameStreamException;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import java.util.ArrayList;

/**
 * Serves the client streams of one HTTP/2 connection, after the frame codec: each stream is an
 * {@link Http2Exchange}, owned by this handler and the connection's event loop, and its request goes to an
 * {@link ExchangeListener} from the {@link RequestPipeline}. No channel or pipeline per stream, and no
 * HTTP/1 objects on the way in but the request head.
 *
 * <p>Enforces {@code max-concurrent-streams} with {@link StreamLimit}: a stream over it is refused with
 * RST_STREAM(REFUSED_STREAM).
 */
final class Http2Streams extends ChannelInboundHandlerAdapter {
    private final Http2FrameCodec codec;
    private final StreamLimit limit;
    private final RequestPipeline requests;
    private final TimeoutPolicy timeouts;
    private final IntObjectMap<Http2Exchange> streams = new IntObjectHashMap<>();

    Http2Streams(Http2FrameCodec codec, StreamLimit limit, RequestPipeline requests, TimeoutPolicy timeouts) {
        this.codec = codec;
        this.limit = limit;
        this.requests = requests;
        this.timeouts = timeouts;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http2HeadersFrame headers) {
            onHeaders(ctx, headers);
        } else if (msg instanceof Http2DataFrame data) {
            final Http2Exchange exchange = streams.get(data.stream().id());
            if (exchange == null) {
                data.release(); // A refused stream's; the codec drops what comes after the reset itself.
                return;
            }
            exchange.onData(data.content(), data.isEndStream(), data.initialFlowControlledBytes());
        } else if (msg instanceof Http2ResetFrame reset) {
            final Http2Exchange exchange = remove(reset.stream().id());
            if (exchange != null) {
                exchange.onGone();
            }
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    private void onHeaders(ChannelHandlerContext ctx, Http2HeadersFrame frame) {
        final int id = frame.stream().id();
        final Http2Exchange known = streams.get(id);
        if (known != null) {
            // Trailers: the request's end. Portico forwards no request trailers, as before.
            known.onData(Unpooled.EMPTY_BUFFER, true, 0);
            return;
        }
        if (!limit.tryAdmit()) {
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.REFUSED_STREAM).stream(frame.stream()));
            return;
        }
        final HttpRequest head;
        try {
            head = HttpConversionUtil.toHttpRequest(id, frame.headers(), true);
        } catch (Http2Exception | RuntimeException e) {
            limit.release();
            ConnectionExceptions.report(ctx.channel(), e);
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.PROTOCOL_ERROR).stream(frame.stream()));
            return;
        }
        final Http2Exchange exchange = new Http2Exchange(ctx, frame.stream(), codec.connection(), timeouts);
        streams.put(id, exchange);
        exchange.open(requests.open(exchange), head, frame.isEndStream());
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof Http2FrameStreamEvent event) {
            final int id = event.stream().id();
            if (event.type() == Http2FrameStreamEvent.Type.Writability) {
                final Http2Exchange exchange = streams.get(id);
                if (exchange != null) {
                    exchange.onWritabilityChanged();
                }
            } else if (event.stream().state() == Http2Stream.State.CLOSED) {
                final Http2Exchange exchange = remove(id);
                if (exchange != null) {
                    exchange.onGone();
                }
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    private Http2Exchange remove(int id) {
        final Http2Exchange exchange = streams.remove(id);
        if (exchange != null) {
            limit.release();
        }
        return exchange;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof Http2FrameStreamException streamError) {
            // The codec has reset the stream already; its call ends as for a client reset.
            ConnectionExceptions.report(ctx.channel(), streamError.getCause());
            final Http2Exchange exchange = remove(streamError.stream().id());
            if (exchange != null) {
                exchange.onGone();
            }
            return;
        }
        ctx.fireExceptionCaught(cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        for (Http2Exchange exchange : new ArrayList<>(streams.values())) {
            exchange.onGone();
        }
        streams.clear();
        ctx.fireChannelInactive();
    }
}
