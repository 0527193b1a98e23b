package dev.portico.proxy.call;

import dev.portico.proxy.wire.RpcCode;
import dev.portico.upstream.Endpoint;
import io.grpc.Metadata;
import io.grpc.Status;

/**
 * What observability (the access log, tracing) learns of one call, from the call's own code: the four
 * moments below, each on the call's event loop. A request that never becomes a call (a CORS preflight, a
 * 404) is seen by the observer's HTTP side only.
 */
public interface CallObserver {
    /** Observes nothing; attempts go upstream with the client's headers as they are. */
    CallObserver NONE = new CallObserver() {
        @Override
        public void callStarted(String protocol, String fullMethodName) {}

        @Override
        public Metadata attemptStarted(Endpoint endpoint, Metadata headers) {
            return headers;
        }

        @Override
        public void attemptEnded(Status status) {}

        @Override
        public void callEnded(RpcCode code) {}
    };

    /** The request is a call of {@code fullMethodName} in {@code protocol} (its tag); once, first. */
    void callStarted(String protocol, String fullMethodName);

    /**
     * An upstream attempt starts on {@code endpoint}; returns the headers to send it with: {@code headers},
     * or a copy carrying the attempt's trace context. Never changes {@code headers}.
     */
    Metadata attemptStarted(Endpoint endpoint, Metadata headers);

    /** The attempt started last ended with {@code status}. */
    void attemptEnded(Status status);

    /** The call ended with {@code code}, as its client is told; once, last. */
    void callEnded(RpcCode code);
}
