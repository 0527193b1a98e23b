package dev.portico.proxy.transport;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Stream;

/**
 * The connection-level timeouts of an HTTP/2 connection, after its {@link Http2ServerHandler}:
 *
 * <ul>
 *   <li><b>Request head</b>: from the connection's start until a client stream's HEADERS are complete
 *       (a client that sends only the preface, or one header block byte by byte).
 *   <li><b>Idle</b>: from the end of the last open stream until the next HEADERS. PINGs and SETTINGS do
 *       not count; a connection with an open stream, however quiet, is never idle.
 * </ul>
 *
 * On expiry the connection gets GOAWAY(NO_ERROR), so that the client knows no stream was lost, and is
 * closed once it is written. Confined to the connection's event loop.
 */
final class Http2ConnectionTimeouts extends ChannelInboundHandlerAdapter {
    private final Http2ServerHandler handler;
    private final Http2Connection connection;
    private final TimeoutPolicy policy;
    private ChannelHandlerContext ctx;
    private ExpiryTimer timer;
    /** A client stream was opened; the idle timeout applies from now on. */
    private boolean streamSeen;
    /** When the connection started, or its last stream closed. */
    private long quietSince;
    private boolean expired;

    Http2ConnectionTimeouts(Http2ServerHandler handler, TimeoutPolicy policy) {
        this.handler = handler;
        this.connection = handler.connection();
        this.policy = policy;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext context) {
        this.ctx = context;
        this.timer = new ExpiryTimer(context.executor(), this::deadline, this::expire);
        quietSince = System.nanoTime();
        connection.addListener(new Http2ConnectionAdapter() {
            @Override
            public void onStreamActive(Http2Stream stream) {
                streamSeen = true;
            }

            @Override
            public void onStreamClosed(Http2Stream stream) {
                streamSeen = true; // Also for a stream that was open before this listener (h2c upgrade).
                quietSince = System.nanoTime();
                timer.update();
            }
        });
        timer.update();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext context) {
        timer.cancel();
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) {
        timer.cancel();
        context.fireChannelInactive();
    }

    private long deadline() {
        if (expired) {
            return ExpiryTimer.NONE;
        }
        final long timeout = streamSeen ? policy.idleNanos() : policy.requestHeadNanos();
        // An open stream stops the clock; its close starts it again (and the timer checks this when it runs).
        return timeout == 0 || connection.numActiveStreams() > 0 ? ExpiryTimer.NONE : quietSince + timeout;
    }

    private void expire() {
        expired = true;
        final TimeoutKind kind = streamSeen ? TimeoutKind.IDLE : TimeoutKind.REQUEST_HEAD;
        final String what = streamSeen
                ? "closed an idle HTTP/2 connection after " + TimeoutPolicy.setting("idle", policy.idleNanos())
                : "closed an HTTP/2 connection without a complete HEADERS frame after "
                  + TimeoutPolicy.setting("request-head", policy.requestHeadNanos());
        policy.expired(ctx.channel(), kind, what);
        // RFC 9113 section 6.8: GOAWAY tells the client which streams were processed (all of them) before
        // the connection closes; NO_ERROR because nothing went wrong.
        handler.goAway(handler.lastClientStream(), ByteBufUtil.writeAscii(ctx.alloc(), kind.tag() + "_timeout"))
               .addListener(ChannelFutureListener.CLOSE);
    }
}
