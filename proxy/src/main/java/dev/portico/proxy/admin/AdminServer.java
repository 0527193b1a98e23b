package dev.portico.proxy.admin;

import dev.portico.config.AdminSettings;
import dev.portico.health.Readiness;
import dev.portico.proxy.explorer.ExplorerApi;
import dev.portico.proxy.transport.OneMessagePerRead;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * The admin listener (metrics, liveness, readiness and the optional API explorer), on the main server's event
 * loops.
 */
public final class AdminServer implements AutoCloseable {
    private final Channel channel;

    private AdminServer(Channel channel) {
        this.channel = channel;
    }

    /** @param explorer the API explorer, when it is enabled */
    public static AdminServer start(AdminSettings settings, PrometheusMeterRegistry registry,
                                    Readiness readiness, Optional<ExplorerApi> explorer, EventLoopGroup group,
                                    Class<? extends ServerChannel> channelType)
            throws InterruptedException {
        final AdminHandler handler = new AdminHandler(registry, readiness, explorer);
        final Channel channel = new ServerBootstrap()
                .group(group)
                .channel(channelType)
                // AdminHandler reads each request once the previous one is answered.
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(8192),
                                              new OneMessagePerRead(), handler);
                    }
                })
                .bind(new InetSocketAddress(settings.host(), settings.port()))
                .sync()
                .channel();
        return new AdminServer(channel);
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }
}
