package dev.portico.loadtest;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The backend's own count of what it served, the number the runner checks every load tool's count
 * against: a call counts as OK only when the server closed it with status OK.
 *
 * <p>Thread-safe: the counters are adders, read without stopping the server (the runner reads them only
 * between runs, when nothing is in flight).
 */
final class CallCounter implements ServerInterceptor {
    private final LongAdder started = new LongAdder();
    private final LongAdder echoOk = new LongAdder();
    private final LongAdder streamOk = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder cancelled = new LongAdder();
    private final LongAdder messagesSent = new LongAdder();
    private final LongAdder payloadBytesSent = new LongAdder();
    private final AtomicLong open = new AtomicLong();
    private final AtomicLong openPeak = new AtomicLong();

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        started.increment();
        final long now = open.incrementAndGet();
        openPeak.accumulateAndGet(now, Math::max);
        final boolean echo = call.getMethodDescriptor().getBareMethodName().equals("Echo");
        // A call ends once: closed by the service, or cancelled by the client first (the service then
        // never closes it, and a cancelled call must not stay open in the count).
        final AtomicBoolean ended = new AtomicBoolean();
        final ServerCall<Q, R> counted = new SimpleForwardingServerCall<>(call) {
            @Override
            public void sendMessage(R message) {
                messagesSent.increment();
                super.sendMessage(message);
            }

            @Override
            public void close(Status status, Metadata trailers) {
                if (ended.compareAndSet(false, true)) {
                    open.decrementAndGet();
                    if (status.isOk()) {
                        (echo ? echoOk : streamOk).increment();
                    } else {
                        failed.increment();
                    }
                }
                super.close(status, trailers);
            }
        };
        return new SimpleForwardingServerCallListener<>(next.startCall(counted, headers)) {
            @Override
            public void onCancel() {
                if (ended.compareAndSet(false, true)) {
                    open.decrementAndGet();
                    cancelled.increment();
                }
                super.onCancel();
            }
        };
    }

    /** Called by the service for each payload byte it hands to grpc-java. */
    void addPayloadBytes(long bytes) {
        payloadBytesSent.add(bytes);
    }

    /** Forgets the open-stream peak, so that the next scenario measures its own. */
    void resetPeak() {
        openPeak.set(open.get());
    }

    /** Every counter by name, in a stable order; counts are totals since start. */
    Map<String, Long> snapshot() {
        final Map<String, Long> out = new LinkedHashMap<>();
        out.put("calls_started", started.sum());
        out.put("echo_ok", echoOk.sum());
        out.put("stream_ok", streamOk.sum());
        out.put("calls_failed", failed.sum());
        out.put("calls_cancelled", cancelled.sum());
        out.put("messages_sent", messagesSent.sum());
        out.put("payload_bytes_sent", payloadBytesSent.sum());
        out.put("calls_open", open.get());
        out.put("calls_open_peak", openPeak.get());
        return out;
    }
}
