package dev.portico.proxy.transport;

import io.netty.handler.codec.http2.Http2Connection;

/**
 * Enforces {@code max-concurrent-streams} on one HTTP/2 connection by refusing extra streams with
 * {@code RST_STREAM(REFUSED_STREAM)}, after they were created.
 *
 * <p>Netty enforces the advertised limit itself by not creating the stream at all; the client's DATA for
 * it, already in flight, then names a stream that never existed and Netty ends the whole connection
 * (netty/netty#12065), killing the calls within the limit. So Netty's own limit is lifted, from the start
 * (Netty 4.2 applies it before the client acknowledged the SETTINGS) and again when the client acknowledges
 * them ({@link #settingsApplied}), and {@link Http2Streams} counts here instead. Refusals are not counted as
 * the client's resets beyond a limit's worth ({@link ResetBudget}). Confined to the connection's event loop.
 */
final class StreamLimit {
    private final Http2Connection connection;
    private final int maxStreams;
    private int active;

    StreamLimit(Http2Connection connection, int maxStreams) {
        this.connection = connection;
        this.maxStreams = maxStreams;
        connection.remote().maxActiveStreams(Integer.MAX_VALUE);
    }

    /** The client acknowledged our SETTINGS, and Netty applied SETTINGS_MAX_CONCURRENT_STREAMS again. */
    void settingsApplied() {
        connection.remote().maxActiveStreams(Integer.MAX_VALUE);
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
