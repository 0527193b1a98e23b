package dev.portico.proxy.demo;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import java.net.InetSocketAddress;

/**
 * The demo app's own listener (demo mode, {@code portico.demo.page-port}): static files only, on the main
 * server's event loops. Being another origin than Portico's listener is its purpose: every call the app
 * makes is cross-origin, with a CORS preflight, as a real web app's calls are.
 */
public final class DemoAppServer implements AutoCloseable {
    /** GET requests have no body; this only bounds what a stray POST may make the aggregator hold. */
    private static final int MAX_REQUEST_BYTES = 8192;

    private final Channel channel;

    private DemoAppServer(Channel channel) {
        this.channel = channel;
    }

    /**
     * Binds {@code host:port} and serves the app, telling it that Portico answers on {@code porticoPort}
     * with {@code porticoScheme} (http or https) at the host name the browser used for the app.
     */
    public static DemoAppServer start(String host, int port, String porticoScheme, int porticoPort,
                                      EventLoopGroup group, Class<? extends ServerChannel> channelType)
            throws InterruptedException {
        final DemoAppHandler handler = new DemoAppHandler(porticoScheme, porticoPort);
        final Channel channel = new ServerBootstrap()
                .group(group)
                .channel(channelType)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(),
                                              new HttpObjectAggregator(MAX_REQUEST_BYTES), handler);
                    }
                })
                .bind(new InetSocketAddress(host, port))
                .sync()
                .channel();
        return new DemoAppServer(channel);
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }
}
