package dev.portico.upstream;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;

/**
 * Recognises the end of a connection by an upstream that found Portico's keep-alive PINGs too frequent: GOAWAY
 * with ENHANCE_YOUR_CALM and the debug data {@code too_many_pings} (gRFC A8), which grpc-java turns into the
 * status of every call the connection carried. grpc-netty itself backs off (it doubles the keep-alive time of
 * the channel that got it); Portico only has to say so.
 */
final class TooManyPings {
    /** gRFC A8: the debug data a server sends with ENHANCE_YOUR_CALM when a client pings too often. */
    private static final String DEBUG_DATA = "too_many_pings";

    private TooManyPings() {
    }

    /** Whether a call ended with {@code status} because its connection got GOAWAY too_many_pings. */
    static boolean endedBy(Status status) {
        // grpc-java maps ENHANCE_YOUR_CALM to RESOURCE_EXHAUSTED and appends the GOAWAY's debug data.
        return status.getCode() == Status.Code.RESOURCE_EXHAUSTED && status.getDescription() != null
               && status.getDescription().contains(DEBUG_DATA);
    }

    /** Runs {@code report} (on any thread) whenever a call through it ends by {@link #endedBy}. */
    static ClientInterceptor watcher(Runnable report) {
        return new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options,
                                                         Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        super.start(new SimpleForwardingClientCallListener<>(listener) {
                            @Override
                            public void onClose(Status status, Metadata trailers) {
                                if (endedBy(status)) {
                                    report.run();
                                }
                                super.onClose(status, trailers);
                            }
                        }, headers);
                    }
                };
            }
        };
    }
}
