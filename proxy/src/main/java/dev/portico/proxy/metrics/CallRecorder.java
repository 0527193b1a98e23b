package dev.portico.proxy.metrics;

import dev.portico.proxy.wire.RpcCode;
import java.util.concurrent.TimeUnit;

/**
 * What one call does, recorded as it happens into the meters of its protocol and method (looked up once,
 * when the call started): messages and body bytes each way, the time to its first response message, and
 * at its end the call's code and duration. Counters move during a stream, not only at its end.
 *
 * <p><b>Thread:</b> the call's event loop.
 */
public final class CallRecorder {
    private final ProxyMetrics.CallMeters meters;
    private final long startNanos;
    private boolean responseStarted;

    CallRecorder(ProxyMetrics.CallMeters meters, long startNanos) {
        this.meters = meters;
        this.startNanos = startNanos;
    }

    /** {@code bytes} of the request body arrived, as the client sent them. */
    public void requestBytes(int bytes) {
        meters.requestBytes.increment(bytes);
    }

    /** A request message was taken from the body. */
    public void requestMessage() {
        meters.requestMessages.increment();
    }

    /** A response message is going to the client; the first one also records the time to first byte. */
    public void responseMessage() {
        if (!responseStarted) {
            responseStarted = true;
            meters.firstByte.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        }
        meters.responseMessages.increment();
    }

    /** {@code bytes} of response body (framing and end included) are written to the client. */
    public void responseBytes(int bytes) {
        meters.responseBytes.increment(bytes);
    }

    /** The call ended with {@code code}: counts it and its duration. Once per call. */
    public void ended(RpcCode code) {
        meters.ended(code, System.nanoTime() - startNanos);
    }
}
