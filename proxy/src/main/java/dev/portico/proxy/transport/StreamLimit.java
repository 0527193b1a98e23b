package dev.portico.proxy.transport;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2SettingsAckFrame;

/**
 * Enforces {@code max-concurrent-streams} on one HTTP/2 connection by refusing extra streams with
 * {@code RST_STREAM(REFUSED_STREAM)}, after they were created.
 *
 * <p>Netty enforces the advertised limit itself by not creating the stream at all; the client's DATA for
 * it, already in flight, then names a stream that never existed and Netty ends the whole connection
 * (netty/netty#12065), killing the calls within the limit. So Netty's own limit is lifted, from the start
 * (Netty 4.2 applies it before the client acknowledged the SETTINGS) and again when the client acknowledges
 * them, and {@link Http2Streams} counts here instead. Refusals are not counted as the client's resets beyond a limit's
 * worth ({@link ResetBudget}). Confined to the connection's event loop.
 */
final class StreamLimit extends ChannelInboundHandlerAdapter {
    private final Http2FrameCodec codec;
    private final int maxStreams;
    private int active;

    StreamLimit(Http2FrameCodec codec, int maxStreams) {
        this.codec = codec;
        this.maxStreams = maxStreams;
        codec.connection().remote().maxActiveStreams(Integer.MAX_VALUE);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof Http2SettingsAckFrame) {
            // The codec applied our SETTINGS_MAX_CONCURRENT_STREAMS just before passing the ACK on.
            codec.connection().remote().maxActiveStreams(Integer.MAX_VALUE);
        }
        ctx.fireChannelRead(msg);
    }

    /** Admits a new stream, or returns false when the connection already has its limit of streams. */
    boolean tryAdmit() {
        if (active >= maxStreams) {
            return false;
        }
        active++;
        return true;
    }

    /** An admitted stream closed. */
    void release() {
        active--;
    }
}
