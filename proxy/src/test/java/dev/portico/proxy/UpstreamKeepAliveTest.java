package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.config.PorticoConfig;
import dev.portico.proxy.testing.PoolPortico;
import dev.portico.proxy.testing.Resources;
import dev.portico.proxy.testing.TestBackend;
import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Keep-alive PINGs to upstreams against grpc-java's server enforcement (gRFC A8): three PINGs sooner than the
 * server's permitKeepAliveTime since the last valid one end the connection with GOAWAY too_many_pings. The
 * server's permit time is scaled down from its 5-minute default, and Portico's keep-alive time with it;
 * grpc-java clients never ping more often than every 10 s, so these tests take 35 to 70 s.
 */
class UpstreamKeepAliveTest {
    /** grpc-java's and grpc-go's default permitKeepAliveTime / MinTime. */
    private static final Duration SERVER_DEFAULT_PERMIT = Duration.ofMinutes(5);

    private final Resources resources = new Resources();
    private final PrintStream originalErr = System.err;

    @AfterEach
    void closeAll() throws Exception {
        System.setErr(originalErr);
        resources.close();
    }

    @Test
    void aQuietServerStreamOutlivesThreeKeepAliveIntervalsAtTheDefaultRatio() throws Exception {
        final Duration defaultKeepAlive = PorticoConfig.parse("").upstreamPool().defaultCluster().channel()
                .keepAliveTime();
        // Scaled down 30 times: the server permits a PING per 10 s, Portico pings at its default ratio to that.
        final Duration permit = Duration.ofSeconds(10);
        final Duration keepAlive = permit.multipliedBy(defaultKeepAlive.toSeconds())
                .dividedBy(SERVER_DEFAULT_PERMIT.toSeconds());
        final TestBackend backend = resources.keep(TestBackend.startPermittingPingsEvery("quiet", permit));
        final PoolPortico portico = resources.keep(PoolPortico.start(pool(backend, keepAlive)));
        final long pause = keepAlive.multipliedBy(3).plusSeconds(3).toMillis();
        backend.pauseMidStream(pause);

        final long start = System.nanoTime();
        final List<String> messages = new ArrayList<>();
        final Status status = serverStream(portico, "events.v1.Events/Watch", messages);

        assertThat(status.getCode()).as("%s", status).isEqualTo(Status.Code.OK);
        assertThat(messages).containsExactly("ping", "ping");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(pause));
    }

    @Test
    void anUpstreamThatAnswersTooManyPingsIsPingedHalfAsOftenAndLoggedOnce() throws Exception {
        final ByteArrayOutputStream log = captureStandardError();
        // 10 s is the most often Portico pings; a server permitting a PING per 35 s strikes at 10, 20 and 30 s.
        // Doubled to 20 s, the PINGs strike at most every other time and never three in a row.
        final TestBackend backend =
                resources.keep(TestBackend.startPermittingPingsEvery("strict", Duration.ofSeconds(35)));
        final PoolPortico portico = resources.keep(PoolPortico.start(pool(backend, Duration.ofSeconds(10))));
        backend.pauseMidStream(45_000);

        final List<String> messages = new ArrayList<>();
        final Status killed = serverStream(portico, "events.v1.Events/Watch", messages);

        assertThat(killed.getCode()).as("%s", killed).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(killed.getDescription()).contains("too_many_pings");
        assertThat(messages).containsExactly("ping");
        backend.pauseMidStream(0);
        assertThat(portico.call("events.v1.Events/Get").ok()).as("a call right after").isTrue();

        // Without the back-off, a stream quiet this long would strike three times by 30 s again.
        backend.pauseMidStream(32_000);
        messages.clear();
        final Status quiet = serverStream(portico, "events.v1.Events/Watch", messages);
        assertThat(quiet.getCode()).as("%s", quiet).isEqualTo(Status.Code.OK);
        assertThat(messages).containsExactly("ping", "ping");

        final String logged = log.toString(StandardCharsets.UTF_8);
        assertThat(logged.split("GOAWAY too_many_pings", -1)).as(logged).hasSize(2);
        assertThat(logged).contains("endpoint " + backend.endpoint() + " closed a connection with GOAWAY "
                                    + "too_many_pings", "keep-alive-time = 10s");
    }

    private static String pool(TestBackend backend, Duration keepAlive) {
        return "portico.upstream { endpoints = [\"" + backend.endpoint() + "\"], keep-alive-time = "
               + keepAlive.toMillis() + "ms, health-check.enabled = false }\n";
    }

    /** One server-streaming call through Portico (native gRPC); collects the messages, returns the status. */
    private static Status serverStream(PoolPortico portico, String method, List<String> messages) {
        final MethodDescriptor<byte[], byte[]> streaming = PoolPortico.unary(method).toBuilder()
                .setType(MethodDescriptor.MethodType.SERVER_STREAMING).build();
        try {
            final Iterator<byte[]> answers = ClientCalls.blockingServerStreamingCall(
                    portico.channel(), streaming, CallOptions.DEFAULT.withDeadlineAfter(90, TimeUnit.SECONDS),
                    "ping".getBytes(StandardCharsets.UTF_8));
            while (answers.hasNext()) {
                messages.add(new String(answers.next(), StandardCharsets.UTF_8));
            }
            return Status.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus();
        }
    }

    /** Standard error (where Portico logs) goes on as before, and into the returned buffer. */
    private static ByteArrayOutputStream captureStandardError() {
        final ByteArrayOutputStream copy = new ByteArrayOutputStream();
        final PrintStream original = System.err;
        System.setErr(new PrintStream(new OutputStream() {
            @Override
            public synchronized void write(int b) {
                original.write(b);
                copy.write(b);
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) {
                original.write(b, off, len);
                copy.write(b, off, len);
            }
        }, true, StandardCharsets.UTF_8));
        return copy;
    }
}
