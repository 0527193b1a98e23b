package dev.portico.proxy.testing;

import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * An OpenTelemetry collector's OTLP/gRPC trace endpoint on 127.0.0.1
 * ({@code opentelemetry.proto.collector.trace.v1.TraceService/Export}), keeping every span it receives.
 */
public final class OtlpCollector implements AutoCloseable {
    private final List<Span> spans = new CopyOnWriteArrayList<>();
    private final List<ResourceSpans> resources = new CopyOnWriteArrayList<>();
    private final Server server;

    private OtlpCollector() throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new TraceServiceGrpc.TraceServiceImplBase() {
                    @Override
                    public void export(ExportTraceServiceRequest request,
                                       StreamObserver<ExportTraceServiceResponse> response) {
                        for (ResourceSpans resource : request.getResourceSpansList()) {
                            resources.add(resource);
                            for (ScopeSpans scope : resource.getScopeSpansList()) {
                                spans.addAll(scope.getSpansList());
                            }
                        }
                        response.onNext(ExportTraceServiceResponse.getDefaultInstance());
                        response.onCompleted();
                    }
                })
                .build()
                .start();
    }

    public static OtlpCollector start() throws IOException {
        return new OtlpCollector();
    }

    /** {@code http://127.0.0.1:port}, for portico.tracing.endpoint. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getPort();
    }

    /** Waits up to {@code timeout} for {@code count} spans; returns all received so far. */
    public List<Span> awaitSpans(int count, Duration timeout) throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (spans.size() < count && System.nanoTime() - deadline < 0) {
            Thread.sleep(20);
        }
        return List.copyOf(spans);
    }

    public List<ResourceSpans> resources() {
        return List.copyOf(resources);
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
