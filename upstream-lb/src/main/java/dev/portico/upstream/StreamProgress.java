package dev.portico.upstream;

import io.grpc.ClientStreamTracer;
import io.grpc.Metadata;

/**
 * How far one call got with its upstream, as grpc-java's stream tracer reports it: whether its request headers
 * were written to a connection ({@link ClientStreamTracer#outboundHeaders()}, called once the HTTP/2 HEADERS
 * frame is written), whether anything came back and whether the upstream's trailers did. Until then, nothing of the call reached an upstream.
 *
 * <p><b>Threads:</b> set on grpc-java's transport threads, read on any.
 */
final class StreamProgress extends ClientStreamTracer.Factory {
    private volatile boolean headersSent;
    private volatile boolean answered;
    private volatile boolean trailersReceived;

    boolean headersSent() {
        return headersSent;
    }

    boolean answered() {
        return answered;
    }

    /** Whether the upstream's trailers arrived: the call's status is the upstream service's own answer. */
    boolean trailersReceived() {
        return trailersReceived;
    }

    @Override
    public ClientStreamTracer newClientStreamTracer(ClientStreamTracer.StreamInfo info, Metadata headers) {
        return new ClientStreamTracer() {
            @Override
            public void outboundHeaders() {
                headersSent = true;
            }

            @Override
            public void inboundHeaders() {
                answered = true;
            }

            @Override
            public void inboundHeaders(Metadata responseHeaders) {
                answered = true;
            }

            @Override
            public void inboundTrailers(Metadata trailers) {
                answered = true;
                trailersReceived = true;
            }
        };
    }
}
