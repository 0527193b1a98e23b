package dev.portico.loadtest;

import dev.portico.loadtest.SoakResponse.Ending;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A soak client connection to Portico on 127.0.0.1: HTTP/1.1 or HTTP/2 with prior knowledge. */
abstract class SoakConnection {
    /** Set once connected; the connection's events run on its event loop. */
    protected Channel channel;

    /** Connects {@code bootstrap} (handler set) to 127.0.0.1:{@code port}; null when that fails within 5 s. */
    static Channel connect(Bootstrap bootstrap, int port) throws InterruptedException {
        final var connect = bootstrap.connect("127.0.0.1", port);
        if (!connect.await(5, TimeUnit.SECONDS) || !connect.isSuccess()) {
            connect.channel().close();
            return null;
        }
        return connect.channel();
    }

    /** New calls may start here. */
    abstract boolean usable();

    /**
     * Starts {@code call}; the future completes with how it ended, never exceptionally. A call with no end
     * after {@code boundSeconds} is closed and counted as stuck.
     */
    abstract CompletableFuture<Ending> start(SoakCall call, int port, int boundSeconds) throws Exception;

    final Channel channel() {
        return channel;
    }

    final void close() {
        channel.close();
    }
}
