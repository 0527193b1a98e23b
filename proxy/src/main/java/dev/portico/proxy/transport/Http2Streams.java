package dev.portico.proxy.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import java.util.ArrayList;

/**
 * Serves the client streams of one HTTP/2 connection, as the frame listener of its
 * {@link Http2ServerHandler}: each stream is an {@link Http2Exchange}, owned by this listener and the
 * connection's event loop, and its request goes to an {@link ExchangeListener} from the
 * {@link RequestPipeline}. No channel, pipeline or frame object per stream, and no HTTP/1 objects on the way
 * in but the request head.
 *
 * <p>Enforces {@code max-concurrent-streams} with {@link StreamLimit}: a stream over it is refused with
 * RST_STREAM(REFUSED_STREAM).
 */
final class Http2Streams extends Http2FrameAdapter {
    private final Http2ServerHandler handler;
    private final StreamLimit limit;
    private final RequestPipeline requests;
    private final TimeoutPolicy timeouts;
    private final IntObjectMap<Http2Exchange> streams = new IntObjectHashMap<>();

    Http2Streams(Http2ServerHandler handler, StreamLimit limit, RequestPipeline requests,
                 TimeoutPolicy timeouts) {
        this.handler = handler;
        this.limit = limit;
        this.requests = requests;
        this.timeouts = timeouts;
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers,
                              int streamDependency, short weight, boolean exclusive, int padding,
                              boolean endOfStream) {
        onHeadersRead(ctx, streamId, headers, padding, endOfStream);
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                              boolean endOfStream) {
        final Http2Exchange known = streams.get(streamId);
        if (known != null) {
            // Trailers: the request's end. Portico forwards no request trailers, as before.
            known.onData(Unpooled.EMPTY_BUFFER, true, 0);
            return;
        }
        if (!limit.tryAdmit()) {
            handler.reset(streamId, Http2Error.REFUSED_STREAM);
            return;
        }
        final HttpRequest head;
        try {
            head = HttpConversionUtil.toHttpRequest(streamId, headers, true);
        } catch (Http2Exception | RuntimeException e) {
            limit.release();
            ConnectionExceptions.report(ctx.channel(), e);
            handler.reset(streamId, Http2Error.PROTOCOL_ERROR);
            return;
        }
        final Http2Exchange exchange = new Http2Exchange(handler, streamId, timeouts);
        streams.put(streamId, exchange);
        exchange.open(requests.open(exchange), head, endOfStream);
    }

    /** Takes the bytes back only when the call reads them ({@link Http2Exchange}); a stranger's at once. */
    @Override
    public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding,
                          boolean endOfStream) {
        final int windowBytes = handler.windowBytes(data, padding);
        final Http2Exchange exchange = streams.get(streamId);
        if (exchange == null) {
            return windowBytes; // A refused stream's, in flight before the client saw the reset.
        }
        exchange.onData(data.retain(), endOfStream, windowBytes);
        return 0;
    }

    @Override
    public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
        gone(streamId);
    }

    /** Netty applied our SETTINGS just before telling of their ACK; its stream limit is lifted again. */
    @Override
    public void onSettingsAckRead(ChannelHandlerContext ctx) {
        limit.settingsApplied();
    }

    @Override
    public void onPingAckRead(ChannelHandlerContext ctx, long data) {
        handler.drain().onPingAck(data);
    }

    void onWritabilityChanged(int streamId) {
        final Http2Exchange exchange = streams.get(streamId);
        if (exchange != null) {
            exchange.onWritabilityChanged();
        }
    }

    /** Tells each stream's exchange when Netty closes its stream (both ends done, a reset either way). */
    Http2Connection.Listener closeListener() {
        return new Http2ConnectionAdapter() {
            @Override
            public void onStreamClosed(Http2Stream stream) {
                gone(stream.id());
            }
        };
    }

    private void gone(int streamId) {
        final Http2Exchange exchange = streams.remove(streamId);
        if (exchange != null) {
            limit.release();
            exchange.onGone();
        }
    }

    void connectionClosed() {
        for (Http2Exchange exchange : new ArrayList<>(streams.values())) {
            exchange.onGone();
        }
        streams.clear();
    }
}
