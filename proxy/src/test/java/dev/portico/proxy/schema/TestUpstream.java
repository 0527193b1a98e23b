package dev.portico.proxy.schema;

import dev.portico.proxy.demo.DemoService;
import io.grpc.BindableService;
import io.grpc.Channel;
import io.grpc.HandlerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A real grpc-java server on 127.0.0.1 with the demo service and whatever else a test adds, a channel to it,
 * and a count of the calls it received per method, including calls to methods it does not have (answered
 * UNIMPLEMENTED, which never reach a server interceptor, so they are counted in the fallback registry).
 */
final class TestUpstream implements AutoCloseable {
    static final String REFLECTION_V1 = "grpc.reflection.v1.ServerReflection/ServerReflectionInfo";
    static final String REFLECTION_V1ALPHA = "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final Server server;
    private final ManagedChannel channel;

    private TestUpstream(List<BindableService> services) throws IOException {
        final NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new DemoService(scheduler).definition())
                .intercept(new CountingInterceptor())
                .fallbackHandlerRegistry(new CountingFallback());
        services.forEach(builder::addService);
        this.server = builder.build().start();
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    }

    /** The demo service plus {@code services}. */
    static TestUpstream start(BindableService... services) throws IOException {
        return new TestUpstream(List.of(services));
    }

    /** How many calls to {@code fullMethodName} the server has received. */
    int calls(String fullMethodName) {
        final AtomicInteger count = calls.get(fullMethodName);
        return count == null ? 0 : count.get();
    }

    Channel channel() {
        return channel;
    }

    /** A channel function that sends every service to this upstream. */
    Function<String, Optional<Channel>> channels() {
        return service -> Optional.of(channel);
    }

    /** Stops the server; the channel stays, so later calls fail as against a dead upstream. */
    void stopServer() {
        try {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
        stopServer();
        scheduler.shutdownNow();
    }

    private void count(String fullMethodName) {
        calls.computeIfAbsent(fullMethodName, name -> new AtomicInteger()).incrementAndGet();
    }

    private final class CountingInterceptor implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                           ServerCallHandler<Q, R> next) {
            count(call.getMethodDescriptor().getFullMethodName());
            return next.startCall(call, headers);
        }
    }

    private final class CountingFallback extends HandlerRegistry {
        @Override
        public ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
            count(methodName);
            return null;  // UNIMPLEMENTED
        }
    }
}
