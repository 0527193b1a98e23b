package dev.portico.proxy.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpServerUpgradeHandler.UpgradeEvent;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.handler.codec.http2.InboundHttpToHttp2Adapter;

/**
 * Netty's HTTP/2 connection handler for one client connection, with {@link Http2Streams} as its frame
 * listener: frames reach the streams as method calls, and the streams write through the encoder, without a
 * frame object, a pipeline pass or a stream event per frame (as grpc-java's own server transport does).
 * It also grows the connection window, hands an {@code Upgrade: h2c} request over as stream 1, reports
 * stream errors, and starts the connection's {@link Http2Drain}. Confined to the connection's event loop.
 */
final class Http2ServerHandler extends Http2ConnectionHandler {
    private final int connectionWindowBytes;
    private Http2Streams streams;
    private Http2Drain drain;
    private ChannelHandlerContext ctx;
    /** The upgrade request's body is being handed over: it never counted against a window. */
    private boolean handingOverUpgrade;

    Http2ServerHandler(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings,
                       int connectionWindowBytes) {
        super(decoder, encoder, settings);
        this.connectionWindowBytes = connectionWindowBytes;
    }

    /** Called once, by the builder, before the handler is added. */
    void serve(Http2Streams connectionStreams) {
        this.streams = connectionStreams;
        this.drain = new Http2Drain(this);
        decoder().frameListener(connectionStreams);
        connection().addListener(connectionStreams.closeListener());
        encoder().flowController().listener(stream -> connectionStreams.onWritabilityChanged(stream.id()));
    }

    @Override
    public void handlerAdded(ChannelHandlerContext context) throws Exception {
        this.ctx = context;
        super.handlerAdded(context); // Sends the server preface (SETTINGS): it must come first.
        // A stream's unread bytes also hold the connection window: a 64 KiB one would let a single stalled
        // upload stop every other stream of the connection.
        final Http2Stream connectionStream = connection().connectionStream();
        final int increment = connectionWindowBytes
                              - connection().local().flowController().windowSize(connectionStream);
        if (increment > 0) {
            connection().local().flowController().incrementWindowSize(connectionStream, increment);
            flush(context);
        }
    }

    ChannelHandlerContext context() {
        return ctx;
    }

    Http2Drain drain() {
        return drain;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext context, Object evt) throws Exception {
        if (Drain.is(evt)) {
            drain.start();
        } else if (evt instanceof UpgradeEvent upgrade) {
            handOverUpgrade(context, upgrade);
        } else {
            super.userEventTriggered(context, evt);
        }
    }

    /**
     * An {@code Upgrade: h2c} request is stream 1 of the connection (RFC 7540 section 3.2; Netty created it
     * half-closed): it reaches the streams as if its HEADERS and DATA had come as frames.
     */
    private void handOverUpgrade(ChannelHandlerContext context, UpgradeEvent upgrade) throws Exception {
        try {
            context.fireUserEventTriggered(upgrade.retain());
            upgrade.upgradeRequest().headers().setInt(HttpConversionUtil.ExtensionHeaderNames.STREAM_ID.text(),
                                                      Http2CodecUtil.HTTP_UPGRADE_STREAM_ID);
            handingOverUpgrade = true;
            new InboundHttpToHttp2Adapter(connection(), decoder().frameListener())
                    .channelRead(context, upgrade.upgradeRequest().retain());
        } finally {
            handingOverUpgrade = false;
            upgrade.release();
        }
    }

    /** How many bytes of the stream window a DATA frame read now holds until it is consumed. */
    int windowBytes(ByteBuf data, int padding) {
        return handingOverUpgrade ? 0 : data.readableBytes() + padding;
    }

    ChannelFuture writeHeaders(int streamId, Http2Headers headers, boolean endStream) {
        return encoder().writeHeaders(ctx, streamId, headers, 0, endStream, ctx.newPromise());
    }

    ChannelFuture writeData(int streamId, ByteBuf data, boolean endStream) {
        return encoder().writeData(ctx, streamId, data, 0, endStream, ctx.newPromise());
    }

    /** Writes what the flow controller lets out, then flushes. */
    void flush() {
        flush(ctx);
    }

    /**
     * Resets {@code streamId} with {@code error} (a stream the client just opened, refused), and flushes.
     * Through the encoder, so that {@link ResetAccountingEncoder} counts it.
     */
    void reset(int streamId, Http2Error error) {
        encoder().writeRstStream(ctx, streamId, error.code(), ctx.newPromise());
        flush(ctx);
    }

    /** {@link #reset}s {@code streamId} unless it is closed already. */
    void resetIfOpen(int streamId, Http2Error error) {
        final Http2Stream stream = connection().stream(streamId);
        if (stream != null && stream.state() != Http2Stream.State.CLOSED) {
            reset(streamId, error);
        }
    }

    /** Gives {@code bytes} of a stream's DATA back to its window and the connection's (WINDOW_UPDATE). */
    void returnWindow(int streamId, int bytes) {
        final Http2Stream stream = connection().stream(streamId);
        if (stream == null) {
            return; // Closed: its unconsumed bytes went back to the connection window then.
        }
        try {
            if (connection().local().flowController().consumeBytes(stream, bytes)) {
                flush(ctx);
            }
        } catch (Http2Exception e) {
            onError(ctx, true, e);
        }
    }

    /** Whether the stream's window and the connection's write buffer take more now. */
    boolean isWritable(int streamId) {
        final Http2Stream stream = connection().stream(streamId);
        return stream != null && encoder().flowController().isWritable(stream);
    }

    /** GOAWAY(NO_ERROR) with {@code lastStreamId}, flushed; returns its write. */
    ChannelFuture goAway(int lastStreamId, ByteBuf debugData) {
        final ChannelFuture written = goAway(ctx, lastStreamId, Http2Error.NO_ERROR.code(), debugData,
                                             ctx.newPromise());
        flush(ctx);
        return written;
    }

    /** The highest stream id the client has opened: a GOAWAY naming it says every stream was served. */
    int lastClientStream() {
        return connection().remote().lastStreamCreated();
    }

    void ping(long data) {
        encoder().writePing(ctx, false, data, ctx.newPromise())
                 .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        flush(ctx);
    }

    /** A connection error the client caused is logged ({@link ConnectionExceptions}) before the GOAWAY. */
    @Override
    protected void onConnectionError(ChannelHandlerContext context, boolean outbound, Throwable cause,
                                     Http2Exception http2Ex) {
        if (!outbound) {
            context.fireExceptionCaught(cause);
        }
        super.onConnectionError(context, outbound, cause, http2Ex);
    }

    /**
     * A stream error the client caused is logged, and the stream reset with its code (counted by
     * {@link ResetAccountingEncoder}): its call ends as for a client reset. One of Portico's own writes (a
     * header block larger than the client's SETTINGS_MAX_HEADER_LIST_SIZE) only fails that write: its
     * listener resets the stream with CANCEL, which is not held against the client's reset budget.
     */
    @Override
    protected void onStreamError(ChannelHandlerContext context, boolean outbound, Throwable cause,
                                 Http2Exception.StreamException streamException) {
        if (outbound) {
            return;
        }
        ConnectionExceptions.report(context.channel(), cause);
        super.onStreamError(context, false, cause, streamException);
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) throws Exception {
        streams.connectionClosed();
        super.channelInactive(context);
    }
}
