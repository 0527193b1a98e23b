package dev.portico.proxy.demo;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.rpc.ErrorInfo;
import dev.portico.demo.v1.DemoServiceGrpc;
import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.EchoResponse;
import dev.portico.demo.v1.FailRequest;
import dev.portico.demo.v1.StatsRequest;
import dev.portico.demo.v1.StatsResponse;
import dev.portico.demo.v1.StreamRequest;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The demo gRPC service ({@code portico.demo.v1.DemoService}): echoes messages and metadata, streams,
 * sleeps and fails on request. Portico runs it in demo mode, and the tests run it as their upstream.
 * Sleeps and stream intervals are scheduled, never slept on a gRPC thread.
 */
public final class DemoService extends DemoServiceGrpc.DemoServiceImplBase {
    private static final String ECHO_PREFIX = "x-echo-";
    private static final String TRAILER_PREFIX = "x-trailer-";
    private static final Context.Key<Metadata> REQUEST_HEADERS = Context.key("request-headers");

    private final ScheduledExecutorService scheduler;
    private final AtomicInteger cancelledCalls = new AtomicInteger();
    private final AtomicLong streamedMessages = new AtomicLong();
    private final AtomicInteger echoCalls = new AtomicInteger();

    public DemoService(ScheduledExecutorService scheduler) {
        this.scheduler = scheduler;
    }

    /** The service with the interceptor that hands request headers to the methods and echoes them. */
    public ServerServiceDefinition definition() {
        return ServerInterceptors.intercept(this, new EchoHeadersInterceptor());
    }

    /** How many calls the service saw cancelled by their client (or by Portico on its behalf). */
    public int cancelledCalls() {
        return cancelledCalls.get();
    }

    /** How many Echo calls reached the service. */
    public int echoCalls() {
        return echoCalls.get();
    }

    /** How many ServerStream messages the service has handed to grpc-java, over all calls. */
    public long streamedMessages() {
        return streamedMessages.get();
    }

    @Override
    public void echo(EchoRequest request, StreamObserver<EchoResponse> responses) {
        echoCalls.incrementAndGet();
        final ServerCallStreamObserver<EchoResponse> observer = watchCancellation(responses);
        final EchoResponse response = EchoResponse.newBuilder()
                .setMessage(request.getMessage())
                .setPayload(request.getPayload())
                .putAllMetadata(describe(REQUEST_HEADERS.get()))
                .build();
        scheduler.schedule(() -> {
            if (!observer.isCancelled()) {
                observer.onNext(response);
                observer.onCompleted();
            }
        }, request.getSleepMs(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void serverStream(StreamRequest request, StreamObserver<EchoResponse> responses) {
        new OutgoingStream(watchCancellation(responses), request).start();
    }

    /**
     * One ServerStream call: sends while the client takes messages (a slow reader slows the stream instead
     * of queueing it), honouring the interval between messages.
     */
    private final class OutgoingStream {
        private final ServerCallStreamObserver<EchoResponse> observer;
        private final StreamRequest request;
        private final ByteString payload;
        private int next;
        private boolean waitingForInterval;
        private boolean done;

        OutgoingStream(ServerCallStreamObserver<EchoResponse> observer, StreamRequest request) {
            this.observer = observer;
            this.request = request;
            this.payload = ByteString.copyFrom(new byte[Math.max(0, request.getSize())]);
        }

        void start() {
            // grpc-java takes the onReady handler only during the initial call to the service.
            observer.setOnReadyHandler(this::send);
            send();
        }

        private synchronized void send() {
            while (!done && !waitingForInterval && !observer.isCancelled() && observer.isReady()) {
                if (next >= request.getCount()) {
                    done = true;
                    if (request.getFailCode() != 0) {
                        observer.onError(Status.fromCodeValue(request.getFailCode())
                                               .withDescription("failed after " + next + " messages")
                                               .asRuntimeException());
                    } else {
                        observer.onCompleted();
                    }
                    return;
                }
                observer.onNext(EchoResponse.newBuilder()
                                            .setMessage(request.getMessage())
                                            .setPayload(payload)
                                            .setIndex(next++)
                                            .build());
                streamedMessages.incrementAndGet();
                if (request.getIntervalMs() > 0) {
                    waitingForInterval = true;
                    scheduler.schedule(this::intervalElapsed, request.getIntervalMs(), TimeUnit.MILLISECONDS);
                }
            }
        }

        private synchronized void intervalElapsed() {
            waitingForInterval = false;
            send();
        }
    }

    @Override
    public StreamObserver<EchoRequest> clientStream(StreamObserver<EchoResponse> responses) {
        watchCancellation(responses);
        final List<String> texts = new ArrayList<>();
        return new StreamObserver<>() {
            @Override
            public void onNext(EchoRequest request) {
                texts.add(request.getMessage());
            }

            @Override
            public void onError(Throwable t) {
                // The client went away; the cancellation handler counted it.
            }

            @Override
            public void onCompleted() {
                responses.onNext(EchoResponse.newBuilder()
                                             .setMessage(String.join(",", texts))
                                             .setIndex(texts.size())
                                             .build());
                responses.onCompleted();
            }
        };
    }

    @Override
    public StreamObserver<EchoRequest> bidiStream(StreamObserver<EchoResponse> responses) {
        watchCancellation(responses);
        final AtomicInteger index = new AtomicInteger();
        return new StreamObserver<>() {
            @Override
            public void onNext(EchoRequest request) {
                responses.onNext(EchoResponse.newBuilder()
                                             .setMessage(request.getMessage())
                                             .setPayload(request.getPayload())
                                             .setIndex(index.getAndIncrement())
                                             .build());
            }

            @Override
            public void onError(Throwable t) {
                // The client went away; the cancellation handler counted it.
            }

            @Override
            public void onCompleted() {
                responses.onCompleted();
            }
        };
    }

    @Override
    public void fail(FailRequest request, StreamObserver<EchoResponse> responses) {
        final int code = request.getCode() == 0 ? Status.Code.UNKNOWN.value() : request.getCode();
        if (!request.getWithDetails()) {
            responses.onError(Status.fromCodeValue(code).withDescription(request.getMessage()).asRuntimeException());
            return;
        }
        final com.google.rpc.Status details = com.google.rpc.Status.newBuilder()
                .setCode(code)
                .setMessage(request.getMessage())
                .addDetails(Any.pack(ErrorInfo.newBuilder()
                                              .setReason("DEMO_FAILURE")
                                              .setDomain("demo.portico.dev")
                                              .putMetadata("requested_code", Integer.toString(code))
                                              .build()))
                .build();
        responses.onError(StatusProto.toStatusRuntimeException(details));
    }

    @Override
    public void stats(StatsRequest request, StreamObserver<StatsResponse> responses) {
        responses.onNext(StatsResponse.newBuilder()
                                      .setCancelledCalls(cancelledCalls.get())
                                      .setStreamedMessages(streamedMessages.get())
                                      .build());
        responses.onCompleted();
    }

    private ServerCallStreamObserver<EchoResponse> watchCancellation(StreamObserver<EchoResponse> responses) {
        final ServerCallStreamObserver<EchoResponse> observer = (ServerCallStreamObserver<EchoResponse>) responses;
        observer.setOnCancelHandler(cancelledCalls::incrementAndGet);
        return observer;
    }

    /** Request metadata as text: binary values base64-encoded. Sorted, for stable output. */
    private static Map<String, String> describe(Metadata headers) {
        final Map<String, String> described = new TreeMap<>();
        if (headers == null) {
            return described;
        }
        for (String key : headers.keys()) {
            final List<String> values = new ArrayList<>();
            if (key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                headers.getAll(Metadata.Key.of(key, Metadata.BINARY_BYTE_MARSHALLER))
                       .forEach(v -> values.add(Base64.getEncoder().encodeToString(v)));
            } else {
                headers.getAll(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER)).forEach(values::add);
            }
            described.put(key, String.join(",", values));
        }
        return described;
    }

    /**
     * Puts the request headers in the call's context, and sends every {@code x-echo-*} request header back
     * as a response header of the same name and as an {@code x-trailer-*} trailer.
     */
    private static final class EchoHeadersInterceptor implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                           ServerCallHandler<Q, R> next) {
            final Metadata echoed = new Metadata();
            final Metadata trailers = new Metadata();
            for (String key : headers.keys()) {
                if (!key.startsWith(ECHO_PREFIX)) {
                    continue;
                }
                final String trailerKey = TRAILER_PREFIX + key.substring(ECHO_PREFIX.length());
                if (key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                    for (byte[] value : headers.getAll(Metadata.Key.of(key, Metadata.BINARY_BYTE_MARSHALLER))) {
                        echoed.put(Metadata.Key.of(key, Metadata.BINARY_BYTE_MARSHALLER), value);
                        trailers.put(Metadata.Key.of(trailerKey, Metadata.BINARY_BYTE_MARSHALLER), value);
                    }
                } else {
                    for (String value : headers.getAll(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER))) {
                        echoed.put(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER), value);
                        trailers.put(Metadata.Key.of(trailerKey, Metadata.ASCII_STRING_MARSHALLER), value);
                    }
                }
            }
            final ServerCall<Q, R> echoing = new io.grpc.ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                @Override
                public void sendHeaders(Metadata responseHeaders) {
                    responseHeaders.merge(echoed);
                    super.sendHeaders(responseHeaders);
                }

                @Override
                public void close(Status status, Metadata responseTrailers) {
                    responseTrailers.merge(trailers);
                    super.close(status, responseTrailers);
                }
            };
            return Contexts.interceptCall(Context.current().withValue(REQUEST_HEADERS, headers), echoing,
                                          headers, next);
        }
    }
}
