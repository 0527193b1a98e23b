package dev.portico.proxy.observe;

import static java.util.Objects.requireNonNull;

import dev.portico.config.TracingSettings;
import dev.portico.proxy.wire.HeaderNames;
import dev.portico.proxy.wire.RpcCode;
import dev.portico.upstream.Endpoint;
import io.grpc.Metadata;
import io.grpc.Status;
import io.netty.handler.codec.http.HttpHeaders;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.common.InternalTelemetryVersion;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Portico's part in traces (OpenTelemetry, {@code portico.tracing}): a server span per call, continuing the
 * caller's W3C {@code traceparent}/{@code tracestate} (parent-based sampling), and a client span per upstream
 * attempt, whose context the attempt carries upstream as its {@code traceparent}.
 *
 * <p>Spans are exported over OTLP by a {@link BatchSpanProcessor} on its own thread: ending a span only puts
 * it in a bounded queue ({@code max-queue-size}), and when the collector is slow or down the spans that do
 * not fit are dropped (and counted, {@link #droppedSpans()}). The event loops never wait for the collector.
 * Thread-safe.
 */
public final class Tracing implements AutoCloseable {
    /** OpenTelemetry semantic conventions for RPC spans (semconv rpc-spans). */
    private static final AttributeKey<String> RPC_SYSTEM = AttributeKey.stringKey("rpc.system");
    private static final AttributeKey<String> RPC_SERVICE = AttributeKey.stringKey("rpc.service");
    private static final AttributeKey<String> RPC_METHOD = AttributeKey.stringKey("rpc.method");
    private static final AttributeKey<Long> RPC_GRPC_STATUS_CODE = AttributeKey.longKey("rpc.grpc.status_code");
    private static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
    private static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
    private static final AttributeKey<String> CLIENT_ADDRESS = AttributeKey.stringKey("client.address");
    private static final AttributeKey<String> NETWORK_PROTOCOL_VERSION =
            AttributeKey.stringKey("network.protocol.version");
    private static final AttributeKey<Long> HTTP_STATUS_CODE = AttributeKey.longKey("http.response.status_code");
    private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
    /** Not in the conventions: the protocol the client spoke (grpc-web, grpc-web-text, connect, grpc). */
    static final AttributeKey<String> PORTICO_PROTOCOL = AttributeKey.stringKey("portico.protocol");
    /** Not in the conventions: which attempt of the call this is, from 1. */
    static final AttributeKey<Long> PORTICO_ATTEMPT = AttributeKey.longKey("portico.attempt");
    /**
     * semconv rpc-spans, gRPC server spans: these codes are the server's failures, the others the client's,
     * so they alone make a server span's status ERROR. (A client span is ERROR for any code but OK.)
     */
    private static final Set<RpcCode> SERVER_ERRORS = Set.of(RpcCode.UNKNOWN, RpcCode.DEADLINE_EXCEEDED,
            RpcCode.UNIMPLEMENTED, RpcCode.INTERNAL, RpcCode.UNAVAILABLE, RpcCode.DATA_LOSS);
    private static final W3CTraceContextPropagator PROPAGATOR = W3CTraceContextPropagator.getInstance();

    private final SdkTracerProvider tracerProvider;
    private final SdkMeterProvider meterProvider;
    private final SpanCounts counts;
    private final Tracer tracer;

    private Tracing(SdkTracerProvider tracerProvider, SdkMeterProvider meterProvider, SpanCounts counts) {
        this.tracerProvider = tracerProvider;
        this.meterProvider = meterProvider;
        this.counts = counts;
        this.tracer = tracerProvider.get("dev.portico.proxy");
    }

    /** Starts exporting to the configured collector; the collector need not be up. */
    public static Tracing start(TracingSettings settings) {
        requireNonNull(settings, "settings");
        final SpanCounts counts = new SpanCounts();
        // The SDK counts what its processor and exporter drop in OpenTelemetry metrics; read back in-process.
        final SdkMeterProvider meters = SdkMeterProvider.builder().registerMetricReader(counts).build();
        final OtlpGrpcSpanExporter exporter = OtlpGrpcSpanExporter.builder()
                .setEndpoint(settings.endpoint().toString())
                .setTimeout(settings.exportTimeout())
                .setMeterProvider(meters)
                .setInternalTelemetryVersion(InternalTelemetryVersion.LATEST)
                .build();
        final BatchSpanProcessor processor = BatchSpanProcessor.builder(exporter)
                .setMaxQueueSize(settings.maxQueueSize())
                .setMaxExportBatchSize(Math.min(512, settings.maxQueueSize()))
                .setExporterTimeout(settings.exportTimeout())
                .setMeterProvider(meters)
                .setInternalTelemetryVersion(InternalTelemetryVersion.LATEST)
                .build();
        final AttributesBuilder resource = Attributes.builder();
        settings.resourceAttributes().forEach(resource::put);
        resource.put(SERVICE_NAME, settings.serviceName());
        final SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(resource.build())))
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(settings.samplingRatio())))
                .addSpanProcessor(processor)
                .build();
        return new Tracing(provider, meters, counts);
    }

    /**
     * The server span of a call that began at {@code start}, child of the caller's span when {@code headers}
     * carry a valid {@code traceparent}.
     */
    Span startCall(HttpHeaders headers, String protocol, String fullMethodName, Instant start, String client,
                   String httpVersion) {
        final Context parent = PROPAGATOR.extract(Context.root(), headers, HEADERS);
        final Span span = tracer.spanBuilder(fullMethodName)
                .setParent(parent)
                .setSpanKind(SpanKind.SERVER)
                .setStartTimestamp(start)
                .setAllAttributes(rpcAttributes(fullMethodName))
                .setAttribute(PORTICO_PROTOCOL, protocol)
                .setAttribute(CLIENT_ADDRESS, client)
                .setAttribute(NETWORK_PROTOCOL_VERSION, httpVersion.equals("HTTP/2.0") ? "2" : "1.1")
                .startSpan();
        return span;
    }

    /** The call ended with {@code code} ({@code null}: it never became a call's end) and {@code httpStatus}. */
    void endCall(Span span, RpcCode code, int httpStatus, long endEpochNanos) {
        if (code != null) {
            span.setAttribute(RPC_GRPC_STATUS_CODE, code.value());
            if (SERVER_ERRORS.contains(code)) {
                span.setStatus(StatusCode.ERROR, code.name());
            }
        }
        if (httpStatus > 0) {
            span.setAttribute(HTTP_STATUS_CODE, httpStatus);
        }
        span.end(endEpochNanos, TimeUnit.NANOSECONDS);
    }

    /** A client span for attempt number {@code attempt} (from 1) of the call whose span is {@code call}. */
    Span startAttempt(Span call, String fullMethodName, Endpoint endpoint, int attempt) {
        return tracer.spanBuilder(fullMethodName)
                .setParent(Context.root().with(call))
                .setSpanKind(SpanKind.CLIENT)
                .setAllAttributes(rpcAttributes(fullMethodName))
                .setAttribute(SERVER_ADDRESS, endpoint.target().host())
                .setAttribute(SERVER_PORT, (long) endpoint.address().getPort())
                .setAttribute(PORTICO_ATTEMPT, (long) attempt)
                .startSpan();
    }

    /**
     * A copy of {@code headers} whose {@code traceparent} (and {@code tracestate}) is {@code attempt}'s context,
     * in place of the caller's: the upstream's spans become children of Portico's attempt.
     */
    static Metadata withContext(Metadata headers, Span attempt) {
        final Metadata copy = new Metadata();
        copy.merge(headers);
        copy.removeAll(TRACEPARENT_KEY);
        copy.removeAll(TRACESTATE_KEY);
        PROPAGATOR.inject(Context.root().with(attempt), copy, METADATA);
        return copy;
    }

    static void endAttempt(Span attempt, Status status) {
        attempt.setAttribute(RPC_GRPC_STATUS_CODE, status.getCode().value());
        if (!status.isOk()) {
            attempt.setStatus(StatusCode.ERROR, status.getCode().name());
        }
        attempt.end();
    }

    /** Spans dropped so far because the export queue was full, or because their export failed. */
    public long droppedSpans() {
        return counts.dropped();
    }

    /** Spans exported so far. */
    public long exportedSpans() {
        return counts.exported();
    }

    /** Exports what is queued (for up to 5 s) and stops. */
    @Override
    public void close() {
        tracerProvider.shutdown().join(5, TimeUnit.SECONDS);
        meterProvider.shutdown().join(1, TimeUnit.SECONDS);
    }

    private static Attributes rpcAttributes(String fullMethodName) {
        final int slash = fullMethodName.lastIndexOf('/');
        final AttributesBuilder attributes = Attributes.builder().put(RPC_SYSTEM, "grpc");
        if (slash > 0) {
            attributes.put(RPC_SERVICE, fullMethodName.substring(0, slash))
                      .put(RPC_METHOD, fullMethodName.substring(slash + 1));
        }
        return attributes.build();
    }

    private static final Metadata.Key<String> TRACEPARENT_KEY =
            Metadata.Key.of(HeaderNames.TRACEPARENT.toString(), Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> TRACESTATE_KEY =
            Metadata.Key.of(HeaderNames.TRACESTATE.toString(), Metadata.ASCII_STRING_MARSHALLER);

    private static final TextMapGetter<HttpHeaders> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(HttpHeaders carrier) {
            return carrier.names();
        }

        @Override
        public String get(HttpHeaders carrier, String key) {
            // Several tracestate fields are one list (W3C Trace Context section 3.3.1.1).
            final List<String> values = carrier == null ? List.of() : carrier.getAll(key);
            return values.isEmpty() ? null : String.join(",", values);
        }
    };

    private static final TextMapSetter<Metadata> METADATA = (carrier, key, value) ->
            carrier.put(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER), value);
}
