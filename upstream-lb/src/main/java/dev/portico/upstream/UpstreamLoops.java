package dev.portico.upstream;

import static java.util.Objects.requireNonNull;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;

/**
 * The event loops upstream connections run on: the front end's own. Each endpoint then has one connection
 * per loop, and a call goes out on the connection of the loop its client connection lives on, so that the
 * client's bytes, the upstream stream and every grpc-java callback of the call stay on one thread: no hand-off
 * between threads per call or per message.
 *
 * @param group       the front end's event loops (not owned: whoever created them shuts them down)
 * @param channelType the socket channel class that matches the loops' I/O handler (epoll or NIO)
 */
public record UpstreamLoops(EventLoopGroup group, Class<? extends Channel> channelType) {
    public UpstreamLoops {
        requireNonNull(group, "group");
        requireNonNull(channelType, "channelType");
    }

    List<EventLoop> loops() {
        final List<EventLoop> loops = new ArrayList<>();
        for (EventExecutor executor : group) {
            loops.add((EventLoop) executor);
        }
        return List.copyOf(loops);
    }
}
