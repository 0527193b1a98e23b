package dev.portico.proxy.testing;

import com.google.protobuf.Empty;
import dev.portico.test.v1.ImportSummary;
import dev.portico.test.v1.InventoryServiceGrpc;
import dev.portico.test.v1.Item;
import dev.portico.test.v1.PutItemResponse;
import dev.portico.test.v1.WatchRequest;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A real grpc-java server on 127.0.0.1 serving {@code portico.test.v1.InventoryService} (src/test/proto: enums,
 * nested messages, repeated and map fields, a oneof, well-known types) with reflection and health: a second
 * upstream, unlike the demo service, for tests that must work with any schema.
 */
public final class InventoryBackend implements AutoCloseable {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        final Thread thread = new Thread(r, "inventory-backend-timer");
        thread.setDaemon(true);
        return thread;
    });
    private final HealthStatusManager health = new HealthStatusManager();
    private final Server server;

    private InventoryBackend() throws IOException {
        this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new Inventory())
                .addService(health.getHealthService())
                .addService(ProtoReflectionServiceV1.newInstance())
                .build()
                .start();
    }

    public static InventoryBackend start() throws IOException {
        return new InventoryBackend();
    }

    public int port() {
        return server.getPort();
    }

    @Override
    public void close() throws InterruptedException {
        health.enterTerminalState();
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        timer.shutdownNow();
    }

    private final class Inventory extends InventoryServiceGrpc.InventoryServiceImplBase {
        @Override
        public void putItem(Item item, StreamObserver<PutItemResponse> responses) {
            final PutItemResponse.Builder answer = PutItemResponse.newBuilder()
                    .setItem(item)
                    .setTagCount(item.getTagsCount())
                    .setTotalStock(item.getStockBySiteMap().values().stream().mapToLong(Long::longValue).sum());
            item.getPartsList().forEach(part -> answer.putStatusByPart(part.getPartId(), item.getStatus()));
            responses.onNext(answer.build());
            responses.onCompleted();
        }

        @Override
        public void watchItems(WatchRequest request, StreamObserver<Item> responses) {
            if (request.getCount() < 0 || request.getIntervalMs() < 0) {
                responses.onError(Status.INVALID_ARGUMENT.withDescription("count and interval_ms must not be "
                                                                          + "negative").asRuntimeException());
                return;
            }
            sendItem(request, 0, (ServerCallStreamObserver<Item>) responses);
        }

        private void sendItem(WatchRequest request, int index, ServerCallStreamObserver<Item> responses) {
            if (responses.isCancelled()) {
                return;
            }
            if (index == request.getCount()) {
                responses.onCompleted();
                return;
            }
            responses.onNext(Item.newBuilder().setItemId("item-" + index).setStatus(request.getStatus())
                                     .build());
            timer.schedule(() -> sendItem(request, index + 1, responses), request.getIntervalMs(),
                           TimeUnit.MILLISECONDS);
        }

        @Override
        public StreamObserver<Item> importItems(StreamObserver<ImportSummary> responses) {
            final ImportSummary.Builder summary = ImportSummary.newBuilder();
            return new StreamObserver<>() {
                @Override
                public void onNext(Item item) {
                    summary.setCount(summary.getCount() + 1).addItemIds(item.getItemId());
                }

                @Override
                public void onError(Throwable t) {
                    // The client went away: nothing to answer.
                }

                @Override
                public void onCompleted() {
                    responses.onNext(summary.build());
                    responses.onCompleted();
                }
            };
        }

        @Override
        public StreamObserver<Item> syncItems(StreamObserver<Item> responses) {
            return new StreamObserver<>() {
                @Override
                public void onNext(Item item) {
                    responses.onNext(item);
                }

                @Override
                public void onError(Throwable t) {
                    // The client went away: nothing to answer.
                }

                @Override
                public void onCompleted() {
                    responses.onCompleted();
                }
            };
        }

        @Override
        public void ping(Empty request, StreamObserver<Empty> responses) {
            responses.onNext(Empty.getDefaultInstance());
            responses.onCompleted();
        }
    }
}
