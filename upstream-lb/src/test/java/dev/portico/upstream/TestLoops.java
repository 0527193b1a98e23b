package dev.portico.upstream;

import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/** Event loops for the pools under test, as Portico's front end would give them: two, daemon, for the JVM. */
final class TestLoops {
    static final UpstreamLoops LOOPS = new UpstreamLoops(
            new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("test-loop", true), NioIoHandler.newFactory()),
            NioSocketChannel.class);

    private TestLoops() {}
}
