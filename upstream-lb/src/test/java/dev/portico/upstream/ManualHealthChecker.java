package dev.portico.upstream;

import dev.portico.config.HealthCheckSettings;
import io.grpc.Channel;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** A health checker the test drives: it keeps each endpoint's sink, and reports nothing by itself. */
final class ManualHealthChecker implements EndpointHealthChecker {
    final Map<Endpoint, EndpointHealthSink> sinks = new ConcurrentHashMap<>();
    final Set<Endpoint> stopped = ConcurrentHashMap.newKeySet();
    volatile boolean closed;

    @Override
    public HealthCheck start(Endpoint endpoint, Channel channel, HealthCheckSettings settings,
                             EndpointHealthSink sink) {
        sinks.put(endpoint, sink);
        return () -> stopped.add(endpoint);
    }

    @Override
    public void close() {
        closed = true;
    }

    EndpointHealthSink sink(int port) {
        return sinks.entrySet().stream().filter(e -> e.getKey().address().getPort() == port)
                    .map(Map.Entry::getValue).findFirst()
                    .orElseThrow(() -> new AssertionError("no check started for port " + port + ": " + sinks));
    }
}
