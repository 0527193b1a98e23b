package dev.portico.proxy.transport;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http2.Http2Exception;
import java.io.IOException;
import java.time.Duration;
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
final class ConnectionExceptions extends ChannelInboundHandlerAdapter {
    static final ConnectionExceptions INSTANCE = new ConnectionExceptions();

    private static final Logger log = LoggerFactory.getLogger(ConnectionExceptions.class);
    private static final ThrottledLog throttledLog = new ThrottledLog(log, Duration.ofSeconds(10));

    private ConnectionExceptions() {}

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof Http2Exception) {
            // The HTTP/2 codec tells us after the fact and answers it itself: GOAWAY with the error's code and
            // close for a connection error (closing here first would send GOAWAY NO_ERROR instead), RST_STREAM
            // for a stream error.
            throttledLog.warn("http2-error", "HTTP/2 error on {}: {}", ctx.channel(), cause);
            return;
        }
        if (cause instanceof IOException) {
            log.debug("closing {}: {}", ctx.channel(), cause.toString());
        } else if (causedByClient(cause)) {
            throttledLog.warn("connection-error", "closing {}: {}", ctx.channel(), cause);
        } else {
            log.warn("closing {} after an error", ctx.channel(), cause);
        }
        ctx.close().addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
    }

    /** Whether {@code cause} is about what the peer sent, rather than a fault of Portico's. */
    static boolean causedByClient(Throwable cause) {
        return cause instanceof DecoderException || cause instanceof SSLException;
    }
}
