package dev.portico.proxy.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http2.Http2Exception;
import java.io.IOException;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of an HTTP/2 connection's pipeline: errors that reach it end the connection, except the
 * HTTP/2 codec's own, which it answers itself. What a client caused (bytes that are not
 * HTTP/2, a reset connection, a TLS failure) is logged in one throttled line; anything else is a bug and
 * keeps its stack trace. Without it Netty logs every such error with a stack trace at the pipeline's tail.
 */
@ChannelHandler.Sharable
public final class ConnectionExceptions extends ChannelInboundHandlerAdapter {
    static final ConnectionExceptions INSTANCE = new ConnectionExceptions();

    private static final Logger log = LoggerFactory.getLogger(ConnectionExceptions.class);
    private static final ThrottledLog throttledLog = new ThrottledLog(log);

    private ConnectionExceptions() {}

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        report(ctx.channel(), cause);
        // The HTTP/2 codec tells of its own errors after the fact and answers them itself: GOAWAY with the
        // error's code and close for a connection error (closing here first would send GOAWAY NO_ERROR
        // instead), RST_STREAM for a stream error.
        if (!(cause instanceof Http2Exception)) {
            ctx.close().addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
        }
    }

    /**
     * Logs an error that ends {@code channel} (a connection or an HTTP/2 stream): a peer resetting its
     * connection at debug (browsers and keep-alive pools do it all the time), what a client sent wrong in one
     * throttled line per kind, anything else, a fault of Portico's, with its stack trace.
     */
    public static void report(Channel channel, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("{}: {}", channel, cause.toString());
        } else if (causedByClient(cause)) {
            throttledLog.warn(cause.getClass().getSimpleName(), "{}: {}", channel, cause);
        } else {
            log.warn("{} failed", channel, cause);
        }
    }

    /**
     * Whether {@code cause} is the peer's doing (its connection reset, bytes that are not HTTP, a broken
     * HTTP/2 rule, a failed TLS handshake), rather than a fault of Portico's.
     */
    static boolean causedByClient(Throwable cause) {
        return cause instanceof IOException || cause instanceof Http2Exception
               || cause instanceof DecoderException || cause instanceof SSLException;
    }
}
