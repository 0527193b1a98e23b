package dev.portico.proxy.testing;

import dev.portico.config.PorticoConfig;
import dev.portico.proxy.PorticoServer;
import dev.portico.upstream.DnsEndpointResolver;
import dev.portico.upstream.EndpointResolver;
import dev.portico.upstream.EndpointState;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * A real Portico on 127.0.0.1 built from upstream-pool HOCON (clusters, health checks, ejection), with an
 * optional test DNS resolver, and a native gRPC client that calls any method with opaque bytes and learns
 * which {@link TestBackend} answered.
 */
public final class PoolPortico implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private final PorticoServer portico;
    private final ManagedChannel channel;

    private PoolPortico(PorticoServer portico) {
        this.portico = portico;
        this.channel = NettyChannelBuilder.forAddress("127.0.0.1", portico.port()).usePlaintext().build();
    }

    /** Portico with {@code hocon} (under the listener and admin settings of a test), DNS as Portico ships it. */
    public static PoolPortico start(String hocon) throws Exception {
        return start(hocon, DnsEndpointResolver.system());
    }

    /** Portico with {@code hocon}, resolving DNS names with {@code resolver}. */
    public static PoolPortico start(String hocon, EndpointResolver resolver) throws Exception {
        final String all = "portico.listen { host = \"127.0.0.1\", port = 0, shutdown-grace-period = 1s }\n"
                           + "portico.admin { host = \"127.0.0.1\", port = 0 }\n" + hocon;
        return new PoolPortico(PorticoServer.start(PorticoConfig.parse(all), resolver, false));
    }

    public PorticoServer server() {
        return portico;
    }

    /** The native gRPC (h2c) channel to Portico. */
    public Channel channel() {
        return channel;
    }

    /** How one call ended, and who answered it (null when no backend did). */
    public record Outcome(Status status, String backend) {
        public boolean ok() {
            return status.isOk();
        }
    }

    /** Calls {@code fullMethodName} ({@code pkg.Service/Method}) through Portico, with a 5 s deadline. */
    public Outcome call(String fullMethodName, String callId) {
        final AtomicReference<Metadata> headers = new AtomicReference<>();
        final AtomicReference<Metadata> trailers = new AtomicReference<>();
        final Metadata sent = new Metadata();
        if (callId != null) {
            sent.put(TestBackend.CALL_ID, callId);
        }
        final Channel intercepted = ClientInterceptors.intercept(
                channel, MetadataUtils.newAttachHeadersInterceptor(sent),
                MetadataUtils.newCaptureMetadataInterceptor(headers, trailers));
        Status status;
        try {
            ClientCalls.blockingUnaryCall(intercepted, unary(fullMethodName),
                                          CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS),
                                          "ping".getBytes(StandardCharsets.UTF_8));
            status = Status.OK;
        } catch (StatusRuntimeException e) {
            status = e.getStatus();
        }
        String backend = headers.get() == null ? null : headers.get().get(TestBackend.BACKEND);
        if (backend == null && trailers.get() != null) {
            backend = trailers.get().get(TestBackend.BACKEND);
        }
        return new Outcome(status, backend);
    }

    public Outcome call(String fullMethodName) {
        return call(fullMethodName, null);
    }

    /** A unary method with opaque messages. */
    public static MethodDescriptor<byte[], byte[]> unary(String fullMethodName) {
        return MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(fullMethodName)
                .setRequestMarshaller(TestBackend.Bytes.INSTANCE)
                .setResponseMarshaller(TestBackend.Bytes.INSTANCE)
                .build();
    }

    /** GET {@code path} on the admin port: the status and body. */
    public HttpResponse<String> admin(String path) throws IOException, InterruptedException {
        final HttpRequest request = HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + portico.adminPort() + path)).timeout(Duration.ofSeconds(5)).GET().build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** Polls {@code condition} every 10 ms until it holds or {@code timeout} passes; true if it held. */
    public static boolean eventually(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(10);
        }
        return condition.getAsBoolean();
    }

    /** Waits until {@code /readyz} says ready: every cluster has a healthy endpoint. */
    public void awaitReady() throws InterruptedException {
        if (!eventually(Duration.ofSeconds(5), () -> portico.readiness().check().ready())) {
            throw new AssertionError("Portico did not become ready: " + portico.readiness().check().detail());
        }
    }

    /** Waits until every endpoint of every cluster is healthy (checked, and not ejected). */
    public void awaitAllHealthy() throws InterruptedException {
        if (!eventually(Duration.ofSeconds(5), () -> portico.upstreamHealth().stream().allMatch(
                c -> c.count(EndpointState.HEALTHY) == c.endpoints().values().stream().mapToInt(n -> n).sum()))) {
            throw new AssertionError("not every endpoint became healthy: " + portico.upstreamHealth());
        }
    }

    /** How many endpoints of all clusters are in {@code state}. */
    public int count(EndpointState state) {
        return portico.upstreamHealth().stream().mapToInt(c -> c.count(state)).sum();
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow();
        channel.awaitTermination(5, TimeUnit.SECONDS);
        portico.close();
    }
}
