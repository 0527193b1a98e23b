package dev.portico.proxy.testing;

import dev.portico.demo.v1.EchoResponse;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;

/** Completes {@code result} with a call's one response, or its error. */
public record SingleResponse(CompletableFuture<EchoResponse> result) implements StreamObserver<EchoResponse> {
    @Override
    public void onNext(EchoResponse value) {
        result.complete(value);
    }

    @Override
    public void onError(Throwable t) {
        result.completeExceptionally(t);
    }

    @Override
    public void onCompleted() {
        result.complete(null);
    }
}
