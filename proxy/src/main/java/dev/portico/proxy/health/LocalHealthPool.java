package dev.portico.proxy.health;

import static java.util.Objects.requireNonNull;

import dev.portico.config.HostAndPort;
import dev.portico.health.Readiness;
import dev.portico.upstream.ClusterHealth;
import dev.portico.upstream.Endpoint;
import dev.portico.upstream.PickResult;
import dev.portico.upstream.UpstreamPool;
import io.grpc.health.v1.HealthGrpc;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The upstream pool as calls see it when Portico answers {@code grpc.health.v1.Health} itself: calls to that
 * service go to {@link LocalHealthChannel} and never upstream, so that Kubernetes gRPC probes, load balancers
 * and grpc health clients learn whether Portico is ready; every other call goes to the upstream pool.
 * Thread-safe, like the pool it wraps; closing it closes that pool.
 */
public final class LocalHealthPool implements UpstreamPool {
    private static final String PREFIX = HealthGrpc.SERVICE_NAME + '/';

    private final UpstreamPool upstream;
    private final PickResult.Picked local;

    /**
     * @param loop runs the callbacks of health calls made without an executor, and their deadlines
     */
    public LocalHealthPool(UpstreamPool upstream, Readiness readiness, ScheduledExecutorService loop) {
        this.upstream = requireNonNull(upstream, "upstream");
        // Shown only in messages about a failed call, which a local answer never is.
        final Endpoint self = new Endpoint(new HostAndPort("portico", 1),
                                           new InetSocketAddress(InetAddress.getLoopbackAddress(), 1));
        this.local = new PickResult.Picked(self, new LocalHealthChannel(readiness, loop));
    }

    @Override
    public PickResult pick(String fullMethodName) {
        return fullMethodName.startsWith(PREFIX) ? local : upstream.pick(fullMethodName);
    }

    @Override
    public PickResult pickForLookup(String service) {
        return upstream.pickForLookup(service);
    }

    @Override
    public PickResult retry(String fullMethodName, List<Endpoint> tried) {
        return fullMethodName.startsWith(PREFIX)
               ? new PickResult.NoEndpoint("Portico answers health calls itself")
               : upstream.retry(fullMethodName, tried);
    }

    @Override
    public Optional<String> clusterFor(String service) {
        return upstream.clusterFor(service);
    }

    @Override
    public List<ClusterHealth> clusters() {
        return upstream.clusters();
    }

    @Override
    public void onStateChange(Runnable listener) {
        upstream.onStateChange(listener);
    }

    @Override
    public void close() {
        upstream.close();
    }
}
