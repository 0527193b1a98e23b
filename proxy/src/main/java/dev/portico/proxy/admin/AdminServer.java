package dev.portico.proxy.admin;

import dev.portico.config.AdminSettings;
import dev.portico.health.Readiness;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import java.net.InetSocketAddress;

/** The admin listener (metrics, liveness and readiness), on the main server's event loops. */
public final class AdminServer implements AutoCloseable {
    private final Channel channel;

    private AdminServer(Channel channel) {
        this.channel = channel;
    }

    public static AdminServer start(AdminSettings settings, PrometheusMeterRegistry registry,
                                    Readiness readiness, EventLoopGroup group,
                                    Class<? extends ServerChannel> channelType)
            throws InterruptedException {
        final AdminHandler handler = new AdminHandler(registry, readiness);
        final Channel channel = new ServerBootstrap()
                .group(group)
                .channel(channelType)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(8192), handler);
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
