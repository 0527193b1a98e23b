package dev.portico.proxy.testing;

import dev.portico.demo.v1.DemoServiceGrpc;
import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.EchoResponse;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A demo service whose ClientStream takes no message until released (so its upstream stream fills and
 * Portico stops reading the client's body), then counts them all and answers with the count as index;
 * Echo answers at once.
 */
public final class StallingService extends DemoServiceGrpc.DemoServiceImplBase {
    private final AtomicInteger received;
    private final CountDownLatch release;

    /** A grpc-java server on 127.0.0.1 (an ephemeral port) serving a stalling service; the caller stops it. */
    public static Server serve(AtomicInteger received, CountDownLatch release) throws IOException {
        return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new StallingService(received, release))
                .build()
                .start();
    }

    public StallingService(AtomicInteger received, CountDownLatch release) {
        this.received = received;
        this.release = release;
    }

    @Override
    public void echo(EchoRequest request, StreamObserver<EchoResponse> responses) {
        responses.onNext(EchoResponse.newBuilder().setMessage(request.getMessage()).build());
        responses.onCompleted();
    }

    @Override
    public StreamObserver<EchoRequest> clientStream(StreamObserver<EchoResponse> responses) {
        final ServerCallStreamObserver<EchoResponse> observer =
                (ServerCallStreamObserver<EchoResponse>) responses;
        observer.disableAutoRequest();
        new Thread(() -> {
            try {
                release.await();
                observer.request(Integer.MAX_VALUE);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "stalling-service-release").start();
        return new StreamObserver<>() {
            @Override
            public void onNext(EchoRequest value) {
                received.incrementAndGet();
            }

            @Override
            public void onError(Throwable t) {
                // The test fails on its own assertions; nothing to add here.
            }

            @Override
            public void onCompleted() {
                responses.onNext(EchoResponse.newBuilder().setIndex(received.get()).build());
                responses.onCompleted();
            }
        };
    }
}
