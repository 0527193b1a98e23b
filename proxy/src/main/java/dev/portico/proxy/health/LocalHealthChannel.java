package dev.portico.proxy.health;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.portico.health.Readiness;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientStreamTracer;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A grpc-java {@link Channel} that Portico answers itself: {@code grpc.health.v1.Health/Check} and
 * {@code Watch} (PROTOCOLS.md B13) from {@link Readiness}. Calls to it go through the ordinary proxy path, so
 * every client protocol (native gRPC, gRPC-Web, Connect) reaches it; messages cross it in whatever form the
 * method's marshallers use. Any other method is answered UNIMPLEMENTED.
 *
 * <p>A call's state is confined to its executor ({@link CallOptions#getExecutor()}, the client's event loop
 * for proxied calls); readiness changes are handed over to it. {@link ClientCall#isReady()} is the only
 * method read from elsewhere.
 */
final class LocalHealthChannel extends Channel {
    private static final String CHECK = HealthGrpc.getCheckMethod().getFullMethodName();
    private static final String WATCH = HealthGrpc.getWatchMethod().getFullMethodName();

    private final Readiness readiness;
    /** Runs callbacks of calls made without an executor, and deadline timers. */
    private final ScheduledExecutorService loop;

    LocalHealthChannel(Readiness readiness, ScheduledExecutorService loop) {
        this.readiness = requireNonNull(readiness, "readiness");
        this.loop = requireNonNull(loop, "loop");
    }

    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(MethodDescriptor<ReqT, RespT> method,
                                                         CallOptions options) {
        final String name = method.getFullMethodName();
        final Kind kind = CHECK.equals(name) ? Kind.CHECK : WATCH.equals(name) ? Kind.WATCH : Kind.OTHER;
        return new LocalCall<>(method, options, kind);
    }

    @Override
    public String authority() {
        return "portico";
    }

    private enum Kind { CHECK, WATCH, OTHER }

    private final class LocalCall<ReqT, RespT> extends ClientCall<ReqT, RespT> {
        private final MethodDescriptor<ReqT, RespT> method;
        private final Kind kind;
        private final Executor executor;
        private final Deadline deadline;
        private final CallOptions options;
        private Listener<RespT> listener;
        /** The request's service, once its message arrived. */
        private String service;
        private int demand;
        private ServingStatus sent;
        private ServingStatus pending;
        private boolean headersSent;
        private Runnable unsubscribe;
        private ScheduledFuture<?> deadlineTimer;
        private volatile boolean halfClosed;
        private volatile boolean closed;

        LocalCall(MethodDescriptor<ReqT, RespT> method, CallOptions options, Kind kind) {
            this.method = method;
            this.kind = kind;
            this.executor = options.getExecutor() != null ? options.getExecutor() : loop;
            this.deadline = options.getDeadline();
            this.options = options;
        }

        @Override
        public void start(Listener<RespT> responseListener, Metadata headers) {
            this.listener = requireNonNull(responseListener, "responseListener");
            executor.execute(() -> {
                if (kind == Kind.OTHER) {
                    close(Status.UNIMPLEMENTED.withDescription(
                            "Portico answers only Check and Watch of grpc.health.v1.Health, not "
                            + method.getFullMethodName()));
                    return;
                }
                if (deadline != null) {
                    final long nanos = deadline.timeRemaining(TimeUnit.NANOSECONDS);
                    deadlineTimer = loop.schedule(() -> executor.execute(() -> close(
                            Status.DEADLINE_EXCEEDED.withDescription("deadline exceeded"))), Math.max(0, nanos),
                                                  TimeUnit.NANOSECONDS);
                }
                listener.onReady();
            });
        }

        @Override
        public void request(int numMessages) {
            executor.execute(() -> {
                demand += numMessages;
                deliver();
            });
        }

        @Override
        public void sendMessage(ReqT message) {
            executor.execute(() -> {
                if (closed) {
                    return;
                }
                try (InputStream in = method.streamRequest(message)) {
                    service = HealthCheckRequest.parseFrom(in).getService();
                } catch (InvalidProtocolBufferException e) {
                    close(Status.INVALID_ARGUMENT.withDescription("not a HealthCheckRequest: "
                                                                  + e.getMessage()));
                } catch (IOException e) {
                    close(Status.INTERNAL.withDescription("reading the request failed").withCause(e));
                }
            });
        }

        @Override
        public void halfClose() {
            halfClosed = true;
            executor.execute(() -> {
                if (closed) {
                    return;
                }
                if (service == null) {
                    close(Status.INVALID_ARGUMENT.withDescription(
                            "a health call takes one HealthCheckRequest"));
                    return;
                }
                final ServingStatus status = readiness.status(service);
                if (kind == Kind.CHECK && status == ServingStatus.SERVICE_UNKNOWN) {
                    // PROTOCOLS.md B13: Check answers an unknown service with NOT_FOUND; Watch sends the value.
                    close(Status.NOT_FOUND.withDescription("no upstream cluster serves " + service));
                    return;
                }
                if (kind == Kind.WATCH) {
                    unsubscribe = readiness.onChange(() -> executor.execute(this::refresh));
                }
                pending = status;
                deliver();
            });
        }

        /**
         * Readiness may have changed: a Watch sends the new status if it differs from the last one. Once
         * Portico is shutting down, it sends NOT_SERVING and ends, so that open Watch streams do not hold
         * the shutdown for its whole grace period; the client watches again elsewhere.
         */
        private void refresh() {
            if (closed) {
                return;
            }
            final ServingStatus status = readiness.status(service);
            if (status != (pending != null ? pending : sent)) {
                pending = status;
                deliver();
            }
            if (readiness.draining()) {
                close(Status.UNAVAILABLE.withDescription("Portico is shutting down"));
            }
        }

        private void deliver() {
            if (closed || pending == null || demand == 0) {
                return;
            }
            if (!headersSent) {
                headersSent = true;
                listener.onHeaders(new Metadata());
            }
            final ServingStatus status = pending;
            pending = null;
            sent = status;
            demand--;
            listener.onMessage(method.parseResponse(new ByteArrayInputStream(
                    HealthCheckResponse.newBuilder().setStatus(status).build().toByteArray())));
            if (kind == Kind.CHECK) {
                close(Status.OK);
            }
        }

        @Override
        public void cancel(String message, Throwable cause) {
            executor.execute(() -> close(Status.CANCELLED.withDescription(message).withCause(cause)));
        }

        @Override
        public boolean isReady() {
            return !halfClosed && !closed;
        }

        private void close(Status status) {
            if (closed) {
                return;
            }
            closed = true;
            if (unsubscribe != null) {
                unsubscribe.run();
            }
            if (deadlineTimer != null) {
                deadlineTimer.cancel(false);
            }
            final Metadata trailers = new Metadata();
            // Answered as a server would, in trailers: stream tracers hear of them as of a server's.
            for (ClientStreamTracer.Factory tracers : options.getStreamTracerFactories()) {
                tracers.newClientStreamTracer(ClientStreamTracer.StreamInfo.newBuilder().setCallOptions(options)
                                                      .build(), new Metadata())
                       .inboundTrailers(trailers);
            }
            listener.onClose(status, trailers);
        }
    }
}
