package dev.portico.proxy.transport;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Stream;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Graceful shutdown of an HTTP/2 connection, the two-step way of RFC 9113 §6.8: "A server that is
 * attempting to gracefully shut down a connection SHOULD send an initial GOAWAY frame with the last stream
 * identifier set to 2^31-1 and a NO_ERROR code ... After allowing time for any in-flight stream creation (at
 * least one round-trip time), the server MAY send another GOAWAY frame with an updated last stream
 * identifier." The round trip is measured with a PING; streams the client opened before it saw the first
 * GOAWAY are still served, later ones are not (the client may retry them elsewhere). The connection closes
 * when its last stream ends. Started by the {@link Drain} event at the connection's
 * {@link Http2ServerHandler}; confined to the connection's event loop.
 */
final class Http2Drain {
    /** The PING payload that marks our round-trip probe. */
    private static final long DRAIN_PING = 0x706f727469636f21L; // "portico!"
    /** A client that never answers the PING gets the final GOAWAY after this long anyway. */
    private static final long MAX_ROUND_TRIP_MILLIS = 1000;
    /** How long the last writes get between their flush and the close. */
    private static final long CLOSE_DELAY_MILLIS = 100;

    private final Http2ServerHandler handler;
    private boolean draining;
    private boolean finalGoAwaySent;
    private ScheduledFuture<?> roundTripTimeout;

    Http2Drain(Http2ServerHandler handler) {
        this.handler = handler;
    }

    void start() {
        if (draining) {
            return;
        }
        draining = true;
        handler.goAway(Integer.MAX_VALUE, Unpooled.EMPTY_BUFFER)
               .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        handler.ping(DRAIN_PING);
        roundTripTimeout = handler.context().executor().schedule(this::sendFinalGoAway, MAX_ROUND_TRIP_MILLIS,
                                                                 TimeUnit.MILLISECONDS);
    }

    /** A PING's ACK from the client: ours means it has seen the first GOAWAY. */
    void onPingAck(long data) {
        if (draining && data == DRAIN_PING) {
            sendFinalGoAway();
        }
    }

    private void sendFinalGoAway() {
        final ChannelHandlerContext ctx = handler.context();
        if (finalGoAwaySent || !ctx.channel().isActive()) {
            return;
        }
        finalGoAwaySent = true;
        roundTripTimeout.cancel(false);
        // Last-stream-id = the last stream the client opened: everything up to it is served.
        handler.goAway(handler.lastClientStream(), Unpooled.EMPTY_BUFFER)
               .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        final Http2Connection connection = handler.connection();
        if (connection.numActiveStreams() == 0) {
            closeSoon(ctx);
            return;
        }
        connection.addListener(new Http2ConnectionAdapter() {
            @Override
            public void onStreamClosed(Http2Stream stream) {
                if (connection.numActiveStreams() == 0) {
                    closeSoon(ctx);
                }
            }
        });
    }

    /**
     * Closes the connection once what its last streams wrote has left. A stream counts as closed as soon as
     * its end is handed to the HTTP/2 encoder, whose flow controller may still hold it, and closing does not
     * write that out: flush first (which does), and give the write a moment. Without this, the ends written
     * at the end of the grace period were sometimes lost under load.
     */
    private void closeSoon(ChannelHandlerContext ctx) {
        handler.flush();
        ctx.executor().schedule(() -> {
            ctx.channel().close(); // Through the whole pipeline: the HTTP/2 handler's close too.
        }, CLOSE_DELAY_MILLIS, TimeUnit.MILLISECONDS);
    }
}
