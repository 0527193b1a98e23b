package dev.portico.proxy.schema;

import static dev.portico.proxy.schema.Schemas.DEMO;
import static dev.portico.proxy.schema.Schemas.ECHO;
import static dev.portico.proxy.schema.Schemas.FAIL;
import static dev.portico.proxy.schema.Schemas.settings;
import static dev.portico.proxy.schema.TestUpstream.REFLECTION_V1;
import static dev.portico.proxy.schema.TestUpstream.REFLECTION_V1ALPHA;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import dev.portico.demo.v1.Demo;
import dev.portico.proxy.demo.DemoBackend;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.reflection.v1.ErrorResponse;
import io.grpc.reflection.v1.FileDescriptorResponse;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Schemas learnt from real grpc-java servers on 127.0.0.1 through server reflection. */
class SchemaRegistryReflectionTest {
    private static final long TIMEOUT_SECONDS = 10;

    @Test
    void echoAndFailAreLearntFromReflectionV1() throws Exception {
        try (DemoBackend backend = DemoBackend.start(0);
             ClosingChannel channel = ClosingChannel.to(backend.port());
             SchemaRegistry registry = new SchemaRegistry(settings(true, List.of()), channel.channels())) {

            final MethodSchema echo = lookup(registry, ECHO).orElseThrow();
            final MethodSchema fail = lookup(registry, FAIL).orElseThrow();

            assertThat(echo.method().getFullName()).isEqualTo("portico.demo.v1.DemoService.Echo");
            assertThat(echo.input().getFullName()).isEqualTo("portico.demo.v1.EchoRequest");
            assertThat(echo.output().getFullName()).isEqualTo("portico.demo.v1.EchoResponse");
            assertThat(echo.noSideEffects()).isTrue();
            assertThat(fail.input().getFullName()).isEqualTo("portico.demo.v1.FailRequest");
            assertThat(fail.noSideEffects()).isFalse();
            assertThat(echo.types().find("portico.demo.v1.EchoResponse")).isNotNull();
            assertThat(registry.knownTypes().find("portico.demo.v1.StreamRequest")).isNotNull();
        }
    }

    @Test
    @SuppressWarnings("deprecation")  // ProtoReflectionService is the v1alpha service, deprecated for v1
    void v1alphaIsAskedWhenTheUpstreamAnswersV1WithUnimplemented() throws Exception {
        try (TestUpstream upstream = TestUpstream.start(ProtoReflectionService.newInstance());
             SchemaRegistry registry = new SchemaRegistry(settings(true, List.of()), upstream.channels())) {

            final MethodSchema echo = lookup(registry, ECHO).orElseThrow();

            assertThat(echo.input().getFullName()).isEqualTo("portico.demo.v1.EchoRequest");
            assertThat(echo.noSideEffects()).isTrue();
            assertThat(upstream.calls(REFLECTION_V1)).isEqualTo(1);
            assertThat(upstream.calls(REFLECTION_V1ALPHA)).isEqualTo(1);
        }
    }

    @Test
    @SuppressWarnings("deprecation")  // ProtoReflectionService is the v1alpha service, deprecated for v1
    void theServicesAnUpstreamListsAreAskedInV1ThenV1alpha() throws Exception {
        try (TestUpstream v1 = TestUpstream.start(ProtoReflectionServiceV1.newInstance());
             TestUpstream v1alpha = TestUpstream.start(ProtoReflectionService.newInstance());
             SchemaRegistry registry = new SchemaRegistry(settings(true, List.of()), v1.channels())) {

            assertThat(registry.listServices(v1.channel()).get(TIMEOUT_SECONDS, TimeUnit.SECONDS))
                    .containsExactlyInAnyOrder(DEMO, "grpc.reflection.v1.ServerReflection");
            assertThat(registry.listServices(v1alpha.channel()).get(TIMEOUT_SECONDS, TimeUnit.SECONDS))
                    .containsExactlyInAnyOrder(DEMO, "grpc.reflection.v1alpha.ServerReflection");
            assertThat(v1alpha.calls(REFLECTION_V1)).isEqualTo(1);
            assertThat(v1alpha.calls(REFLECTION_V1ALPHA)).isEqualTo(1);
        }
    }

    @Test
    void listingServicesFailsWithAReasonWithoutReflectionOnEitherSide() throws Exception {
        try (TestUpstream upstream = TestUpstream.start();
             SchemaRegistry on = new SchemaRegistry(settings(true, List.of()), upstream.channels());
             SchemaRegistry off = new SchemaRegistry(settings(false, List.of()), upstream.channels())) {

            assertThat(on.listServices(upstream.channel()))
                    .failsWithin(TIMEOUT_SECONDS, TimeUnit.SECONDS).withThrowableThat()
                    .havingRootCause().isInstanceOf(SchemaException.class)
                    .withMessageContaining("serves no reflection service");
            assertThat(off.listServices(upstream.channel()))
                    .failsWithin(TIMEOUT_SECONDS, TimeUnit.SECONDS).withThrowableThat()
                    .havingRootCause().isInstanceOf(SchemaException.class)
                    .withMessage("reflection is switched off (portico.schema.reflection = false)");
            assertThat(upstream.calls(REFLECTION_V1)).as("asked by `on` only").isEqualTo(1);
        }
    }

    @Test
    void upstreamWithoutReflectionHasNoSchemaAndConcurrentLookupsAskItOnce() throws Exception {
        try (TestUpstream upstream = TestUpstream.start();
             SchemaRegistry registry = new SchemaRegistry(settings(true, List.of()), upstream.channels())) {

            final CompletableFuture<Optional<MethodSchema>> first = registry.lookup(ECHO);
            final CompletableFuture<Optional<MethodSchema>> second = registry.lookup(DEMO + "/ServerStream");

            assertThat(first.get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEmpty();
            assertThat(second.get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEmpty();
            assertThat(upstream.calls(REFLECTION_V1)).isEqualTo(1);
            assertThat(upstream.calls(REFLECTION_V1ALPHA)).isEqualTo(1);

            // Remembered for missing-retry-interval (30 s here): a later lookup does not ask again.
            assertThat(lookup(registry, FAIL)).isEmpty();
            assertThat(upstream.calls(REFLECTION_V1)).isEqualTo(1);
        }
    }

    @Test
    void missingSchemaIsAskedForAgainAfterTheRetryInterval() throws Exception {
        try (TestUpstream upstream = TestUpstream.start();
             SchemaRegistry registry = new SchemaRegistry(
                     settings(true, Duration.ofMinutes(5), Duration.ofMillis(200), List.of()),
                     upstream.channels())) {

            assertThat(lookup(registry, ECHO)).isEmpty();
            Thread.sleep(400);
            assertThat(lookup(registry, ECHO)).isEmpty();

            assertThat(upstream.calls(REFLECTION_V1)).isEqualTo(2);
        }
    }

    @Test
    void serviceTheUpstreamDoesNotKnowHasNoSchema() throws Exception {
        try (TestUpstream upstream = TestUpstream.start(ProtoReflectionServiceV1.newInstance());
             SchemaRegistry registry = new SchemaRegistry(settings(true, List.of()), upstream.channels())) {

            assertThat(lookup(registry, "portico.demo.v1.NoSuchService/Echo")).isEmpty();
            assertThat(upstream.calls(REFLECTION_V1)).isEqualTo(1);
            assertThat(upstream.calls(REFLECTION_V1ALPHA)).isZero();
        }
    }

    @Test
    void unknownMethodOfAKnownServiceIsEmpty() throws Exception {
        try (DemoBackend backend = DemoBackend.start(0);
             ClosingChannel channel = ClosingChannel.to(backend.port());
             SchemaRegistry registry = new SchemaRegistry(settings(true, List.of()), channel.channels())) {

            assertThat(lookup(registry, DEMO + "/NoSuchMethod")).isEmpty();
            assertThat(lookup(registry, ECHO)).isPresent();
        }
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {"", "portico.demo.v1.DemoService", "/portico.demo.v1.DemoService/Echo",
                            "portico.demo.v1.DemoService/", "portico.demo.v1.DemoService/Echo/Extra", "/"})
    void malformedMethodNameIsEmptyWithoutAskingAnUpstream(String name) throws Exception {
        final AtomicInteger asked = new AtomicInteger();
        try (SchemaRegistry registry = new SchemaRegistry(settings(true, List.of()), service -> {
            asked.incrementAndGet();
            return Optional.empty();
        })) {
            assertThat(lookup(registry, name)).isEmpty();
            assertThat(asked).hasValue(0);
        }
    }

    @Test
    void serviceNoUpstreamServesHasNoSchema() throws Exception {
        try (SchemaRegistry registry = new SchemaRegistry(settings(true, List.of()),
                                                          service -> Optional.empty())) {
            assertThat(lookup(registry, ECHO)).isEmpty();
        }
    }

    @Test
    void importsMissingFromTheFirstAnswerAreFetchedByFileName() throws Exception {
        // Serves gateway.proto alone for the symbol, demo.proto by file name, and not timestamp.proto at all:
        // the bundled well-known file stands in for it.
        final ImportShyReflection reflection = new ImportShyReflection(
                "portico.test.v1.GatewayService", Schemas.GATEWAY,
                Map.of(Schemas.GATEWAY.getName(), Schemas.GATEWAY,
                       "portico/demo/v1/demo.proto", Demo.getDescriptor().toProto()));
        try (TestUpstream upstream = TestUpstream.start(reflection);
             SchemaRegistry registry = new SchemaRegistry(settings(true, List.of()), upstream.channels())) {

            final MethodSchema relay = lookup(registry, "portico.test.v1.GatewayService/Relay").orElseThrow();

            assertThat(relay.input().getFullName()).isEqualTo("portico.demo.v1.EchoRequest");
            assertThat(relay.output().getFullName()).isEqualTo("google.protobuf.Timestamp");
            assertThat(reflection.filesAskedFor)
                    .containsExactly("portico/demo/v1/demo.proto", "google/protobuf/timestamp.proto");
            assertThat(upstream.calls(REFLECTION_V1)).isEqualTo(2);
        }
    }

    @Test
    void unreachableUpstreamIsAskedAgainSoonRatherThanRememberedAsMissing() throws Exception {
        final int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        final AtomicReference<ClosingChannel> current = new AtomicReference<>(ClosingChannel.to(port));
        final Duration oneHour = Duration.ofHours(1);
        try (SchemaRegistry registry = new SchemaRegistry(settings(true, oneHour, oneHour, List.of()),
                                                          service -> Optional.of(current.get().channel))) {
            assertThat(lookup(registry, ECHO)).isEmpty();

            try (DemoBackend backend = DemoBackend.start(port)) {
                // A fresh channel, so that the test does not wait for grpc-java's reconnect back-off.
                current.getAndSet(ClosingChannel.to(port)).close();
                Thread.sleep(SchemaRegistry.FAILURE_RETRY.toMillis() + 200);

                assertThat(lookup(registry, ECHO)).isPresent();
            }
        } finally {
            current.get().close();
        }
    }

    @Test
    void schemaIsRefreshedInTheBackgroundAndKeptWhenTheRefreshFails() throws Exception {
        final AtomicInteger fetches = new AtomicInteger();
        try (TestUpstream upstream = TestUpstream.start(ProtoReflectionServiceV1.newInstance());
             SchemaRegistry registry = new SchemaRegistry(
                     settings(true, Duration.ofMillis(200), Duration.ofSeconds(30), List.of()),
                     service -> {
                         fetches.incrementAndGet();
                         return Optional.of(upstream.channel());
                     })) {
            assertThat(lookup(registry, ECHO)).isPresent();

            Thread.sleep(300);
            assertThat(lookup(registry, ECHO)).isPresent();  // the cached schema, while the refresh runs
            await(() -> upstream.calls(REFLECTION_V1) == 2);

            upstream.stopServer();
            // Several refresh intervals: each lookup may start a refresh that fails. Had a failed refresh
            // replaced the schema, the next lookup would find nothing.
            for (int i = 0; i < 10; i++) {
                Thread.sleep(100);
                assertThat(lookup(registry, ECHO)).isPresent();
            }
            assertThat(fetches.get()).isGreaterThanOrEqualTo(4);
        }
    }

    @Test
    void closedRegistryStopsAsking() throws Exception {
        try (TestUpstream upstream = TestUpstream.start(ProtoReflectionServiceV1.newInstance())) {
            final SchemaRegistry registry = new SchemaRegistry(settings(true, List.of()), upstream.channels());
            assertThat(lookup(registry, ECHO)).isPresent();

            registry.close();

            assertThat(lookup(registry, ECHO)).isEmpty();
            assertThat(upstream.calls(REFLECTION_V1)).isEqualTo(1);
        }
    }

    private static Optional<MethodSchema> lookup(SchemaRegistry registry, String method) throws Exception {
        return registry.lookup(method).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + TIMEOUT_SECONDS + " s");
            }
            Thread.sleep(10);
        }
    }

    /** A plaintext channel to 127.0.0.1 that try-with-resources shuts down. */
    private record ClosingChannel(ManagedChannel channel) implements AutoCloseable {
        static ClosingChannel to(int port) {
            return new ClosingChannel(NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build());
        }

        Function<String, Optional<Channel>> channels() {
            return service -> Optional.of(channel);
        }

        @Override
        public void close() {
            channel.shutdownNow();
        }
    }

    /**
     * A reflection service that answers {@code file_containing_symbol} with the declaring file only, without
     * its imports (the protocol allows it), and {@code file_by_filename} from a map, NOT_FOUND for other names.
     */
    private static final class ImportShyReflection extends ServerReflectionGrpc.ServerReflectionImplBase {
        final List<String> filesAskedFor = new CopyOnWriteArrayList<>();
        private final String symbol;
        private final FileDescriptorProto declaring;
        private final Map<String, FileDescriptorProto> byName;

        ImportShyReflection(String symbol, FileDescriptorProto declaring,
                            Map<String, FileDescriptorProto> byName) {
            this.symbol = symbol;
            this.declaring = declaring;
            this.byName = byName;
        }

        @Override
        public StreamObserver<ServerReflectionRequest> serverReflectionInfo(
                StreamObserver<ServerReflectionResponse> responses) {
            return new StreamObserver<>() {
                @Override
                public void onNext(ServerReflectionRequest request) {
                    final FileDescriptorProto file = switch (request.getMessageRequestCase()) {
                        case FILE_CONTAINING_SYMBOL ->
                                request.getFileContainingSymbol().equals(symbol) ? declaring : null;
                        case FILE_BY_FILENAME -> {
                            filesAskedFor.add(request.getFileByFilename());
                            yield byName.get(request.getFileByFilename());
                        }
                        default -> null;
                    };
                    final ServerReflectionResponse.Builder answer =
                            ServerReflectionResponse.newBuilder().setOriginalRequest(request);
                    if (file == null) {
                        answer.setErrorResponse(ErrorResponse.newBuilder()
                                .setErrorCode(Status.Code.NOT_FOUND.value()).setErrorMessage("not found"));
                    } else {
                        answer.setFileDescriptorResponse(FileDescriptorResponse.newBuilder()
                                .addFileDescriptorProto(file.toByteString()));
                    }
                    responses.onNext(answer.build());
                }

                @Override
                public void onError(Throwable t) {
                    // The client cancelled or the call failed: no answer is owed and nothing is held.
                }

                @Override
                public void onCompleted() {
                    responses.onCompleted();
                }
            };
        }
    }
}
