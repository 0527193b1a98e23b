package dev.portico.proxy.transport;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpObject;

/**
 * One request and its response, as a call sees them, whatever carries them: an HTTP/1.1 connection
 * ({@link ChannelExchange}) or one stream of an HTTP/2 connection ({@link Http2Exchange}). Responses are
 * written as HTTP objects (a head, contents, an end with trailers); the HTTP/2 exchange turns them into
 * frames of its stream. Confined to {@link #eventLoop()}.
 */
public interface CallExchange {
    /** The client connection, for its address in log lines and the connection's own events. */
    Channel connection();

    /** The loop every method must be called on, and that runs the call: the connection's. */
    default EventLoop eventLoop() {
        return connection().eventLoop();
    }

    default ByteBufAllocator alloc() {
        return connection().alloc();
    }

    /** Whether this is an HTTP/2 stream (native gRPC needs one; stalled bodies are timed per stream). */
    boolean isHttp2();

    /** Writes part of the response, unflushed; takes ownership of {@code msg}. A failed write abandons the exchange. */
    void write(HttpObject msg);

    /** Writes and flushes the response's end; takes ownership of {@code msg}. */
    ChannelFuture writeEnd(HttpObject msg);

    void flush();

    /** Asks for the next piece of the request body (one per call). */
    void read();

    /** Whether the client takes more response bytes now (stream window, connection water marks). */
    boolean isWritable();

    /** Abandons the exchange: an HTTP/2 stream is reset (CANCEL), an HTTP/1.1 connection closed. */
    void close();
}
