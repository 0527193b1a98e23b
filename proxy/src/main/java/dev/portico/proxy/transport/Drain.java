package dev.portico.proxy.transport;

import io.netty.channel.Channel;

/**
 * The user event that starts a client connection's graceful shutdown: fired into every open connection's
 * pipeline when Portico is told to stop. The HTTP/1.1 and HTTP/2 handlers that act on it are
 * {@link Http1Drain} and {@link Http2Drain}; a connection that has neither yet (a TLS handshake in
 * progress) ignores it and is closed when the grace period ends.
 */
public final class Drain {
    private static final Drain EVENT = new Drain();

    private Drain() {}

    /** Starts draining {@code connection}; safe from any thread. */
    public static void start(Channel connection) {
        connection.pipeline().fireUserEventTriggered(EVENT);
    }

    static boolean is(Object event) {
        return event == EVENT;
    }

    @Override
    public String toString() {
        return "Drain";
    }
}
