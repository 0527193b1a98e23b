package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.EchoResponse;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.GrpcWebResponse;
import dev.portico.proxy.testing.OtlpCollector;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.PrometheusScrape;
import dev.portico.proxy.testing.StandalonePortico;
import dev.portico.proxy.testing.TestHttpClient;
import dev.portico.proxy.testing.Transport;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.Span;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * portico.tracing: a server span per call and a client span per upstream attempt reach an OTLP collector,
 * in the caller's trace; the upstream sees Portico's attempt as its parent; a collector that is down costs
 * the calls nothing and the spans that cannot go are dropped, not kept.
 */
class TracingTest {
    private static final String ECHO = "/portico.demo.v1.DemoService/Echo";
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CALLER_SPAN_ID = "00f067aa0ba902b7";
    private static final Duration WAIT = Duration.ofSeconds(15);

    private PorticoFixture portico;
    private OtlpCollector collector;

    @AfterEach
    void stop() throws Exception {
        if (portico != null) {
            portico.close();
        }
        if (collector != null) {
            collector.close();
        }
    }

    private void startTracing(String extraHocon) throws Exception {
        collector = OtlpCollector.start();
        portico = PorticoFixture.start("portico.tracing { enabled = true, endpoint = \"" + collector.endpoint()
                                       + "\", resource-attributes { deployment.environment.name = test } }\n"
                                       + "portico.access-log.enabled = false\n" + extraHocon);
    }

    @Test
    void aCallIsAServerSpanInTheCallersTraceWithAnAttemptSpanTheUpstreamContinues() throws Exception {
        startTracing("");
        final EchoResponse echo = echo(GrpcWeb.headers(GrpcWeb.PROTO)
                .set("traceparent", "00-" + TRACE_ID + "-" + CALLER_SPAN_ID + "-01")
                .set("tracestate", "vendor=value"));

        final List<Span> spans = collector.awaitSpans(2, WAIT);
        assertThat(spans).hasSize(2);
        final Span server = only(spans, Span.SpanKind.SPAN_KIND_SERVER);
        final Span attempt = only(spans, Span.SpanKind.SPAN_KIND_CLIENT);
        assertThat(hex(server.getTraceId())).isEqualTo(TRACE_ID);
        assertThat(hex(server.getParentSpanId())).isEqualTo(CALLER_SPAN_ID);
        assertThat(server.getTraceState()).isEqualTo("vendor=value");
        assertThat(server.getName()).isEqualTo("portico.demo.v1.DemoService/Echo");
        assertThat(attributes(server)).containsAllEntriesOf(Map.of(
                "rpc.system", "grpc", "rpc.service", "portico.demo.v1.DemoService", "rpc.method", "Echo",
                "rpc.grpc.status_code", "0", "portico.protocol", "grpc-web", "http.response.status_code", "200"));
        assertThat(hex(attempt.getTraceId())).isEqualTo(TRACE_ID);
        assertThat(attempt.getParentSpanId()).isEqualTo(server.getSpanId());
        assertThat(attributes(attempt)).containsAllEntriesOf(Map.of(
                "rpc.system", "grpc", "rpc.method", "Echo", "rpc.grpc.status_code", "0",
                "server.address", "127.0.0.1", "server.port", String.valueOf(portico.backend().port()),
                "portico.attempt", "1"));
        assertThat(server.getStartTimeUnixNano()).isLessThanOrEqualTo(attempt.getStartTimeUnixNano());
        assertThat(server.getEndTimeUnixNano()).isGreaterThanOrEqualTo(attempt.getEndTimeUnixNano());

        // The backend (grpc-java) was called in the same trace, as a child of Portico's attempt.
        assertThat(echo.getMetadataMap().get("traceparent"))
                .isEqualTo("00-" + TRACE_ID + "-" + hex(attempt.getSpanId()) + "-01");
        assertThat(echo.getMetadataMap().get("tracestate")).isEqualTo("vendor=value");

        final Map<String, String> resource = collector.resources().get(0).getResource().getAttributesList()
                .stream().collect(Collectors.toMap(KeyValue::getKey, kv -> value(kv.getValue())));
        assertThat(resource).containsEntry("service.name", "portico")
                            .containsEntry("deployment.environment.name", "test");
    }

    @Test
    void aCallWithoutTraceparentStartsATraceTheUpstreamJoins() throws Exception {
        startTracing("");
        final EchoResponse echo = echo(GrpcWeb.headers(GrpcWeb.PROTO));
        final List<Span> spans = collector.awaitSpans(2, WAIT);
        final Span server = only(spans, Span.SpanKind.SPAN_KIND_SERVER);
        final Span attempt = only(spans, Span.SpanKind.SPAN_KIND_CLIENT);
        assertThat(server.getParentSpanId()).isEmpty();
        // Flags 01 (sampled) or 03 (sampled, and a random trace id: Trace Context Level 2, as the SDK sets it).
        assertThat(echo.getMetadataMap().get("traceparent"))
                .matches("00-" + hex(server.getTraceId()) + "-" + hex(attempt.getSpanId()) + "-0[13]");
    }

    @Test
    void aCallerThatDidNotSampleIsFollowed() throws Exception {
        startTracing("");
        final EchoResponse echo = echo(GrpcWeb.headers(GrpcWeb.PROTO)
                .set("traceparent", "00-" + TRACE_ID + "-" + CALLER_SPAN_ID + "-00"));
        // Not recorded, yet the upstream still gets the trace, unsampled, as its caller decided.
        assertThat(echo.getMetadataMap().get("traceparent")).startsWith("00-" + TRACE_ID + "-").endsWith("-00");
        assertThat(collector.awaitSpans(1, Duration.ofSeconds(7))).isEmpty();
    }

    @Test
    void eachAttemptOfARetriedCallIsItsOwnClientSpan() throws Exception {
        collector = OtlpCollector.start();
        try (var backend = dev.portico.proxy.demo.DemoBackend.start(0);
             StandalonePortico standalone = StandalonePortico.start(
                     List.of("127.0.0.1:" + StandalonePortico.closedPort(), "127.0.0.1:" + backend.port()),
                     "portico.upstream.max-attempts = 2\nportico.access-log.enabled = false\n"
                     + "portico.tracing { enabled = true, endpoint = \"" + collector.endpoint() + "\" }");
             TestHttpClient client = standalone.connect(Transport.H2C)) {
            // Round robin: the first call goes to the closed port first, and is retried on the backend.
            final TestHttpClient.Response response = client.call(HttpMethod.POST, ECHO,
                    GrpcWeb.headers(GrpcWeb.PROTO), GrpcWeb.frame(EchoRequest.newBuilder().setMessage("r").build()));
            assertThat(GrpcWebResponse.of(response, GrpcWeb.PROTO).code()).isZero();
        }
        final List<Span> spans = collector.awaitSpans(3, WAIT);
        final Span server = only(spans, Span.SpanKind.SPAN_KIND_SERVER);
        final List<Span> attempts = spans.stream().filter(s -> s.getKind() == Span.SpanKind.SPAN_KIND_CLIENT)
                .sorted(java.util.Comparator.comparing(s -> attributes(s).get("portico.attempt"))).toList();
        assertThat(attempts).hasSize(2);
        assertThat(attempts).allSatisfy(a -> assertThat(a.getParentSpanId()).isEqualTo(server.getSpanId()));
        assertThat(attributes(attempts.get(0))).containsEntry("rpc.grpc.status_code", "14");
        assertThat(attempts.get(0).getStatus().getCode())
                .isEqualTo(io.opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_ERROR);
        assertThat(attributes(attempts.get(1))).containsEntry("rpc.grpc.status_code", "0")
                                                .containsEntry("portico.attempt", "2");
    }

    @Test
    void withTracingOffTraceparentPassesThroughUntouched() throws Exception {
        portico = PorticoFixture.start("");
        final String traceparent = "00-" + TRACE_ID + "-" + CALLER_SPAN_ID + "-01";
        final EchoResponse echo = echo(GrpcWeb.headers(GrpcWeb.PROTO).set("traceparent", traceparent));
        assertThat(echo.getMetadataMap().get("traceparent")).isEqualTo(traceparent);
    }

    @Test
    void aCollectorThatIsDownCostsTheCallsNothingAndItsSpansAreDroppedNotKept() throws Exception {
        final int queue = 64;
        final int calls = 1500;
        portico = PorticoFixture.start("portico.tracing { enabled = true, endpoint = \"http://127.0.0.1:"
                                       + StandalonePortico.closedPort() + "\", max-queue-size = " + queue
                                       + ", export-timeout = 1s }\nportico.access-log.enabled = false");
        final long started = System.nanoTime();
        try (TestHttpClient client = portico.connect(Transport.H2C)) {
            for (int i = 0; i < calls; i++) {
                final TestHttpClient.Response response = client.call(HttpMethod.POST, ECHO,
                        GrpcWeb.headers(GrpcWeb.PROTO), GrpcWeb.frame(EchoRequest.newBuilder().setMessage("d")
                                                                               .build()));
                assertThat(GrpcWebResponse.of(response, GrpcWeb.PROTO).code()).isZero();
            }
        }
        final Duration took = Duration.ofNanos(System.nanoTime() - started);
        // Generous for a busy machine: the calls never wait for an export (which takes up to 1 s each).
        assertThat(took).isLessThan(Duration.ofSeconds(60));
        // Two spans a call: all but what fits in the queue (and one batch being exported) are dropped.
        final long deadline = System.nanoTime() + WAIT.toNanos();
        double dropped = 0;
        while (System.nanoTime() < deadline) {
            dropped = PrometheusScrape.fetch(portico.adminPort()).sum("portico_tracing_spans_dropped_total");
            if (dropped >= 2 * calls - 2 * queue) {
                break;
            }
            Thread.sleep(100);
        }
        assertThat(dropped).isGreaterThanOrEqualTo(2 * calls - 2 * queue).isLessThanOrEqualTo(2 * calls);
        assertThat(PrometheusScrape.fetch(portico.adminPort()).sum("portico_tracing_spans_exported_total")).isZero();
    }

    private EchoResponse echo(HttpHeaders headers) throws Exception {
        try (TestHttpClient client = portico.connect(Transport.H2C)) {
            final TestHttpClient.Response response = client.call(HttpMethod.POST, ECHO, headers,
                    GrpcWeb.frame(EchoRequest.newBuilder().setMessage("traced").build()));
            final GrpcWebResponse web = GrpcWebResponse.of(response, GrpcWeb.PROTO);
            assertThat(web.code()).isZero();
            return web.messages(EchoResponse.parser()).get(0);
        }
    }

    private static Span only(List<Span> spans, Span.SpanKind kind) {
        final List<Span> ofKind = spans.stream().filter(s -> s.getKind() == kind).toList();
        assertThat(ofKind).as("%s spans", kind).hasSize(1);
        return ofKind.get(0);
    }

    private static Map<String, String> attributes(Span span) {
        return span.getAttributesList().stream()
                .collect(Collectors.toMap(KeyValue::getKey, kv -> value(kv.getValue())));
    }

    private static String value(AnyValue value) {
        return switch (value.getValueCase()) {
            case STRING_VALUE -> value.getStringValue();
            case INT_VALUE -> String.valueOf(value.getIntValue());
            case BOOL_VALUE -> String.valueOf(value.getBoolValue());
            case DOUBLE_VALUE -> String.valueOf(value.getDoubleValue());
            default -> value.toString();
        };
    }

    private static String hex(ByteString bytes) {
        return HexFormat.of().formatHex(bytes.toByteArray());
    }
}
