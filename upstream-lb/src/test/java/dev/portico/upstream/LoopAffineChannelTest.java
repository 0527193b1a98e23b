package dev.portico.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portico.config.PorticoConfig;
import dev.portico.config.PorticoSettings;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.Status;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Upstream connections on the front end's event loops: a call started on a loop goes out on that loop's own
 * connection to the endpoint, and its callbacks run on that loop. Real grpc-java server on loopback.
 */
class LoopAffineChannelTest {
    private EventLoopGroup group;
    private TestServer server;
    private RoutingUpstreamPool pool;

    @BeforeEach
    void start() throws Exception {
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        server = TestServer.start("a", "127.0.0.1", 0);
        final PorticoSettings settings = PorticoConfig.parse(
                "portico.upstream { endpoints = [\"" + server.endpoint() + "\"], health-check.enabled = false }");
        pool = RoutingUpstreamPool.start(settings.upstreamPool(), settings.limits(), new ManualHealthChecker(),
                                         EndpointResolver.SYSTEM, new UpstreamLoops(group, NioSocketChannel.class));
    }

    @AfterEach
    void stop() throws Exception {
        pool.close();
        server.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Where one call ran: its connection's local address and the thread of its callbacks. */
    private record Placement(SocketAddress connection, Thread callbackThread) {}

    private Channel channel() {
        return ((PickResult.Picked) pool.pick(TestServer.WHO.getFullMethodName())).channel();
    }

    /** One call, started by {@code starter} with {@code executor} for its callbacks. */
    private Placement call(Executor starter, Executor executor) throws Exception {
        final CompletableFuture<Placement> placed = new CompletableFuture<>();
        starter.execute(() -> {
            final ClientCall<byte[], byte[]> call = channel().newCall(
                    TestServer.WHO, CallOptions.DEFAULT.withExecutor(executor).withDeadlineAfter(5, TimeUnit.SECONDS));
            call.start(new ClientCall.Listener<>() {
                @Override
                public void onClose(Status status, Metadata trailers) {
                    if (status.isOk()) {
                        placed.complete(new Placement(call.getAttributes().get(Grpc.TRANSPORT_ATTR_LOCAL_ADDR),
                                                      Thread.currentThread()));
                    } else {
                        placed.completeExceptionally(status.asException());
                    }
                }
            }, new Metadata());
            call.request(1);
            call.sendMessage(new byte[0]);
            call.halfClose();
        });
        return placed.get(10, TimeUnit.SECONDS);
    }

    @Test
    void eachLoopsCallsShareThatLoopsConnectionAndRunOnIt() throws Exception {
        final List<EventLoop> loops = new UpstreamLoops(group, NioSocketChannel.class).loops();
        assertThat(loops).hasSize(2);
        final List<SocketAddress> connections = new ArrayList<>();
        for (EventLoop loop : loops) {
            final Set<SocketAddress> used = new HashSet<>();
            for (int i = 0; i < 3; i++) {
                final Placement placement = call(loop, loop);
                assertThat(loop.inEventLoop(placement.callbackThread())).isTrue();
                used.add(placement.connection());
            }
            assertThat(used).hasSize(1);
            connections.add(used.iterator().next());
        }
        assertThat(connections.get(0)).isNotEqualTo(connections.get(1));
    }

    @Test
    void anEndpointThatTheSecondLoopCannotReachCountsAsFailingWhileTheFirstLoopsChannelIsIdle() throws Exception {
        final EventLoop second = new UpstreamLoops(group, NioSocketChannel.class).loops().get(1);
        call(second, second);
        assertThat(pool.clusters().get(0).count(EndpointState.HEALTHY)).isEqualTo(1);

        server.close();
        // UNAVAILABLE: the endpoint is gone, and the second loop's channel now fails to connect.
        assertThatThrownBy(() -> call(second, second)).isInstanceOf(ExecutionException.class);

        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (pool.clusters().get(0).count(EndpointState.HEALTHY) == 1 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(pool.clusters().get(0).count(EndpointState.HEALTHY)).isZero();
    }

    @Test
    void aCallFromOutsideTheLoopsGoesOutOnTheFirstLoopsConnection() throws Exception {
        final EventLoop first = new UpstreamLoops(group, NioSocketChannel.class).loops().get(0);
        final Placement onLoop = call(first, first);
        final Placement outside = call(Runnable::run, Runnable::run);
        assertThat(outside.connection()).isEqualTo(onLoop.connection());
    }
}
