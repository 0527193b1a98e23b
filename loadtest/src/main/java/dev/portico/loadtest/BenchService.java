package dev.portico.loadtest;

import com.google.protobuf.ByteString;
import dev.portico.loadtest.v1.BenchServiceGrpc;
import dev.portico.loadtest.v1.EchoRequest;
import dev.portico.loadtest.v1.EchoResponse;
import dev.portico.loadtest.v1.StreamRequest;
import dev.portico.loadtest.v1.StreamResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code portico.loadtest.v1.BenchService}: as little work per call as a real service can do, so that the
 * numbers measure the transport. Streams send only while the client's flow-control window allows.
 */
final class BenchService extends BenchServiceGrpc.BenchServiceImplBase {
    /** Largest message the service builds on request; bounds the memory a bad request can take. */
    private static final int MAX_SIZE = 4 << 20;

    private final CallCounter counter;
    private final ScheduledExecutorService timer;
    private final Set<Stream> held = ConcurrentHashMap.newKeySet();

    BenchService(CallCounter counter, ScheduledExecutorService timer) {
        this.counter = counter;
        this.timer = timer;
    }

    @Override
    public void echo(EchoRequest request, StreamObserver<EchoResponse> responses) {
        final int size = request.getResponseSize();
        if (size < 0 || size > MAX_SIZE) {
            responses.onError(Status.INVALID_ARGUMENT.withDescription("response_size out of range")
                                      .asRuntimeException());
            return;
        }
        final ByteString payload = size == 0 ? request.getPayload() : ByteString.copyFrom(new byte[size]);
        counter.addPayloadBytes(payload.size());
        responses.onNext(EchoResponse.newBuilder().setPayload(payload).build());
        responses.onCompleted();
    }

    @Override
    public void serverStream(StreamRequest request, StreamObserver<StreamResponse> responses) {
        if (request.getCount() < 0 || request.getSize() < 0 || request.getSize() > MAX_SIZE
            || request.getHoldMs() < 0) {
            responses.onError(Status.INVALID_ARGUMENT.withDescription("count, size or hold_ms out of range")
                                      .asRuntimeException());
            return;
        }
        new Stream((ServerCallStreamObserver<StreamResponse>) responses, request).start();
    }

    @Override
    public StreamObserver<EchoRequest> bidiStream(StreamObserver<EchoResponse> responses) {
        return new StreamObserver<>() {
            @Override
            public void onNext(EchoRequest request) {
                counter.addPayloadBytes(request.getPayload().size());
                responses.onNext(EchoResponse.newBuilder().setPayload(request.getPayload()).build());
            }

            @Override
            public void onError(Throwable t) {
                // The client cancelled: the interceptor counts it.
            }

            @Override
            public void onCompleted() {
                responses.onCompleted();
            }
        };
    }

    /** Ends every stream held open by hold_ms now; returns how many there were. */
    int releaseHeld() {
        int released = 0;
        for (Stream stream : held) {
            if (held.remove(stream)) {
                stream.release();
                released++;
            }
        }
        return released;
    }

    /** One ServerStream call. Its methods run on grpc-java's serialised callback executor or the timer. */
    private final class Stream {
        private final ServerCallStreamObserver<StreamResponse> observer;
        private final StreamRequest request;
        private final StreamResponse message;
        private int sent;
        private boolean holding;
        private boolean done;
        private ScheduledFuture<?> holdTimer;

        Stream(ServerCallStreamObserver<StreamResponse> observer, StreamRequest request) {
            this.observer = observer;
            this.request = request;
            this.message = StreamResponse.newBuilder()
                    .setPayload(ByteString.copyFrom(new byte[request.getSize()])).build();
        }

        void start() {
            observer.setOnCancelHandler(this::cancelled);
            observer.setOnReadyHandler(this::send);
            send();
        }

        private synchronized void send() {
            while (!done && !holding && sent < request.getCount() && observer.isReady()) {
                observer.onNext(message);
                counter.addPayloadBytes(request.getSize());
                sent++;
            }
            if (!done && !holding && sent == request.getCount()) {
                if (request.getHoldMs() > 0) {
                    holding = true;
                    held.add(this);
                    holdTimer = timer.schedule(this::release, request.getHoldMs(), TimeUnit.MILLISECONDS);
                } else {
                    finish();
                }
            }
        }

        synchronized void release() {
            held.remove(this);
            if (holdTimer != null) {
                holdTimer.cancel(false);
            }
            finish();
        }

        private void finish() {
            if (!done) {
                done = true;
                observer.onCompleted();
            }
        }

        private synchronized void cancelled() {
            done = true;
            held.remove(this);
            if (holdTimer != null) {
                holdTimer.cancel(false);
            }
        }
    }
}
