package dev.portico.proxy.demo;

import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A real grpc-java server running {@link DemoService}, with the standard health and reflection services: the
 * upstream Portico uses when none is configured, the one the tests call through it, and the backend of the
 * Docker Compose stack ({@code portico demo-backend}).
 */
public final class DemoBackend implements AutoCloseable {
    private final ScheduledExecutorService scheduler;
    private final DemoService service;
    private final HealthStatusManager health = new HealthStatusManager();
    private final Server server;

    private DemoBackend(String host, int port) throws IOException {
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread thread = new Thread(r, "demo-backend-timer");
            thread.setDaemon(true);
            return thread;
        });
        this.service = new DemoService(scheduler);
        this.server = NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
                .addService(service.definition())
                .addService(health.getHealthService())
                .addService(ProtoReflectionServiceV1.newInstance())
                .build()
                .start();
    }

    /** Starts the backend on 127.0.0.1 at {@code port} (0: any free port). */
    public static DemoBackend start(int port) throws IOException {
        return start("127.0.0.1", port);
    }

    /** Starts the backend on {@code host} ({@code 0.0.0.0}: every interface) at {@code port} (0: any free). */
    public static DemoBackend start(String host, int port) throws IOException {
        return new DemoBackend(host, port);
    }

    public int port() {
        return server.getPort();
    }

    public DemoService service() {
        return service;
    }

    public HealthStatusManager health() {
        return health;
    }

    /** Blocks until the server has stopped: grpc-java's threads are daemons and would not keep a JVM alive. */
    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    @Override
    public void close() throws InterruptedException {
        health.enterTerminalState();
        server.shutdown();
        if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
            server.shutdownNow();
        }
        scheduler.shutdownNow();
    }
}
