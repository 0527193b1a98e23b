package dev.portico.proxy.schema;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.reflection.v1.ErrorResponse;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Fetches the schema of one service from an upstream with gRPC server reflection
 * (grpc/grpc-proto, reflection/v1/reflection.proto): {@code file_containing_symbol = <service>} answers with
 * the file that declares the service and, from most servers, its transitive imports; imports still missing
 * are asked for with {@code file_by_filename} until none are, then everything is linked. An upstream that
 * answers {@code grpc.reflection.v1} with UNIMPLEMENTED is asked again with {@code v1alpha}.
 *
 * <p>A fetch is a short chain of reflection calls, each with all of its requests sent at once, half-closed
 * and given a {@link #CALL_DEADLINE}: a call's state is touched only by its own serialised callbacks, and the
 * next call starts from the previous one's completion, so no lock is needed. Callbacks and linking run on the
 * executor given to {@link #fetch}, never on grpc-java's transport threads.
 *
 * <p>It also lists the services an upstream serves ({@link #listServices}), for the API explorer.
 *
 * <p>Thread-safe. {@link #close} cancels every call in flight and fails every later one.
 */
final class ReflectionClient implements AutoCloseable {

    /** Deadline of each reflection call. */
    static final Duration CALL_DEADLINE = Duration.ofSeconds(5);
    /** Bounds on one fetch, against a server whose answers never converge. */
    private static final int MAX_FILES = 4096;
    private static final int MAX_IMPORT_ROUNDS = 64;

    // Every reflection call is created in this context, so that close() cancels them all (grpc-java cancels a
    // call whose context is cancelled). Derived from ROOT: no caller's deadline or cancellation leaks in.
    private final Context.CancellableContext context = Context.ROOT.withCancellation();

    /**
     * Asks {@code channel} for the schema of {@code service} (full name, {@code package.Service}).
     *
     * @param executor runs the calls' callbacks and the linking
     * @return completes, never exceptionally, on {@code executor}
     */
    CompletableFuture<ServiceLookup> fetch(Channel channel, String service, Executor executor) {
        final Fetch fetch = new Fetch(channel, service, executor);
        fetch.askForService();
        return fetch.result;
    }

    /**
     * Asks {@code channel} for the names of the services it serves ({@code list_services}).
     *
     * @param executor runs the calls' callbacks
     * @return completes on {@code executor} with the full service names, as the upstream lists them, or
     *         exceptionally with a {@link SchemaException} whose message says why there are none
     */
    CompletableFuture<List<String>> listServices(Channel channel, Executor executor) {
        return listServices(channel, ReflectionVersion.V1, executor);
    }

    private CompletableFuture<List<String>> listServices(Channel channel, ReflectionVersion version,
                                                         Executor executor) {
        final ServerReflectionRequest request =
                ServerReflectionRequest.newBuilder().setListServices("").build();
        return call(channel, version, executor, List.of(request)).handle((answers, error) -> {
            if (error != null) {
                final Status status = Status.fromThrowable(error);
                if (status.getCode() != Status.Code.UNIMPLEMENTED) {
                    return CompletableFuture.<List<String>>failedFuture(new SchemaException(
                            version.label() + " from " + channel.authority() + " failed with "
                            + status.getCode()
                            + (status.getDescription() == null ? "" : ": " + status.getDescription()), error));
                }
                return version == ReflectionVersion.V1
                       ? listServices(channel, ReflectionVersion.V1ALPHA, executor)
                       : CompletableFuture.<List<String>>failedFuture(
                               new SchemaException(noReflectionService(channel)));
            }
            final ServerReflectionResponse answer = answers.get(0);
            if (answer.hasErrorResponse()) {
                final ErrorResponse e = answer.getErrorResponse();
                return CompletableFuture.<List<String>>failedFuture(new SchemaException(
                        version.label() + " from " + channel.authority() + " answered "
                        + Status.fromCodeValue(e.getErrorCode()).getCode() + ": " + e.getErrorMessage()));
            }
            final List<String> names = new ArrayList<>();
            answer.getListServicesResponse().getServiceList().forEach(service -> names.add(service.getName()));
            return CompletableFuture.completedFuture(names);
        }).thenCompose(names -> names);
    }

    private static String noReflectionService(Channel channel) {
        return "the upstream " + channel.authority() + " serves no reflection service (neither "
               + ReflectionVersion.V1.method().getServiceName() + " nor "
               + ReflectionVersion.V1ALPHA.method().getServiceName() + ")";
    }

    @Override
    public void close() {
        context.cancel(null);
    }

    /** One fetch: its state moves forward only from the completion of its previous call. */
    private final class Fetch {
        private final Channel channel;
        private final String service;
        private final Executor executor;
        private final CompletableFuture<ServiceLookup> result = new CompletableFuture<>();
        private final Map<String, FileDescriptorProto> files = new LinkedHashMap<>();
        private final Set<String> requestedImports = new HashSet<>();
        private ReflectionVersion version = ReflectionVersion.V1;
        private int importRounds;

        Fetch(Channel channel, String service, Executor executor) {
            this.channel = channel;
            this.service = service;
            this.executor = executor;
        }

        private String source() {
            return version.label() + " from " + channel.authority();
        }

        void askForService() {
            final ServerReflectionRequest request =
                    ServerReflectionRequest.newBuilder().setFileContainingSymbol(service).build();
            call(channel, version, executor, List.of(request))
                    .whenComplete((answers, error) -> guarded(() -> onServiceAnswer(answers, error)));
        }

        /** Runs one step; a bug in it fails the fetch instead of leaving it incomplete forever. */
        private void guarded(Runnable step) {
            try {
                step.run();
            } catch (RuntimeException e) {
                result.complete(new ServiceLookup.Failed(source() + ": unexpected " + e, e));
            }
        }

        private void onServiceAnswer(List<ServerReflectionResponse> answers, Throwable error) {
            if (error != null) {
                onCallFailed(error, true);
                return;
            }
            final ServerReflectionResponse answer = answers.get(0);
            if (answer.hasErrorResponse()) {
                final ErrorResponse e = answer.getErrorResponse();
                if (e.getErrorCode() == Status.Code.NOT_FOUND.value()) {
                    result.complete(new ServiceLookup.Missing(source() + " does not know the service"));
                } else {
                    result.complete(new ServiceLookup.Failed(source() + " answered "
                            + Status.fromCodeValue(e.getErrorCode()).getCode() + ": " + e.getErrorMessage()));
                }
                return;
            }
            if (addFiles(answer)) {
                askForImports();
            }
        }

        private void askForImports() {
            final List<ServerReflectionRequest> requests = new ArrayList<>();
            for (FileDescriptorProto file : files.values()) {
                for (String name : file.getDependencyList()) {
                    if (!files.containsKey(name) && requestedImports.add(name)) {
                        requests.add(ServerReflectionRequest.newBuilder().setFileByFilename(name).build());
                    }
                }
            }
            if (requests.isEmpty()) {
                link();
                return;
            }
            if (++importRounds > MAX_IMPORT_ROUNDS || files.size() + requests.size() > MAX_FILES) {
                result.complete(new ServiceLookup.Failed(source() + " answered with more than " + MAX_FILES
                        + " files or " + MAX_IMPORT_ROUNDS + " levels of imports"));
                return;
            }
            call(channel, version, executor, requests)
                    .whenComplete((answers, error) -> guarded(() -> onImportsAnswer(answers, error)));
        }

        private void onImportsAnswer(List<ServerReflectionResponse> answers, Throwable error) {
            if (error != null) {
                onCallFailed(error, false);
                return;
            }
            for (ServerReflectionResponse answer : answers) {
                // An import the server cannot give is left to the linker: a bundled file stands in for it, or
                // the link fails naming it.
                if (!answer.hasErrorResponse() && !addFiles(answer)) {
                    return;
                }
            }
            askForImports();
        }

        /** Adds the answer's files; false (and the fetch failed) when one does not parse. */
        private boolean addFiles(ServerReflectionResponse answer) {
            for (ByteString bytes : answer.getFileDescriptorResponse().getFileDescriptorProtoList()) {
                final FileDescriptorProto file;
                try {
                    file = FileDescriptorProto.parseFrom(bytes);
                } catch (InvalidProtocolBufferException e) {
                    result.complete(new ServiceLookup.Failed(source() + " answered with a file descriptor that "
                                                             + "does not parse: " + e.getMessage()));
                    return false;
                }
                files.putIfAbsent(file.getName(), file);
            }
            if (files.size() > MAX_FILES) {
                result.complete(new ServiceLookup.Failed(source() + " answered with more than " + MAX_FILES
                                                         + " files"));
                return false;
            }
            return true;
        }

        private void link() {
            final Map<String, FileDescriptor> linked;
            try {
                linked = DescriptorLinker.link(files);
            } catch (SchemaException e) {
                result.complete(new ServiceLookup.Failed(source() + " answered with a schema that cannot be "
                                                         + "linked: " + e.getMessage()));
                return;
            }
            for (FileDescriptor file : linked.values()) {
                for (ServiceDescriptor candidate : file.getServices()) {
                    if (candidate.getFullName().equals(service)) {
                        result.complete(new ServiceLookup.Found(candidate, source()));
                        return;
                    }
                }
            }
            result.complete(new ServiceLookup.Failed(source() + " answered with files that do not declare the "
                                                     + "service: " + files.keySet()));
        }

        private void onCallFailed(Throwable error, boolean firstCall) {
            final Status status = Status.fromThrowable(error);
            if (status.getCode() == Status.Code.UNIMPLEMENTED && firstCall) {
                if (version == ReflectionVersion.V1) {
                    version = ReflectionVersion.V1ALPHA;
                    askForService();
                } else {
                    result.complete(new ServiceLookup.Missing(noReflectionService(channel)));
                }
            } else if (status.getCode() == Status.Code.NOT_FOUND) {
                result.complete(new ServiceLookup.Missing(source() + " answered NOT_FOUND: "
                                                          + status.getDescription()));
            } else {
                result.complete(new ServiceLookup.Failed(source() + " failed with " + status.getCode()
                        + (status.getDescription() == null ? "" : ": " + status.getDescription())));
            }
        }
    }

    /**
     * One reflection call to {@code channel} in {@code version}: sends {@code requests}, half-closes, and
     * completes (on {@code executor}) with one answer per request, or exceptionally with the call's status.
     */
    private CompletableFuture<List<ServerReflectionResponse>> call(Channel channel, ReflectionVersion version,
                                                                   Executor executor,
                                                                   List<ServerReflectionRequest> requests) {
        final CompletableFuture<List<ServerReflectionResponse>> answers = new CompletableFuture<>();
        context.run(() -> {
            try {
                final CallOptions options = CallOptions.DEFAULT
                        .withDeadlineAfter(CALL_DEADLINE.toNanos(), TimeUnit.NANOSECONDS)
                        .withExecutor(executor);
                final ClientCall<ServerReflectionRequest, ServerReflectionResponse> call =
                        channel.newCall(version.method(), options);
                final StreamObserver<ServerReflectionRequest> out =
                        ClientCalls.asyncBidiStreamingCall(call, new Answers(requests.size(), answers));
                requests.forEach(out::onNext);
                out.onCompleted();
            } catch (RuntimeException e) {
                answers.completeExceptionally(e);
            }
        });
        return answers;
    }

    /** Collects a call's answers; its callbacks are serialised by grpc-java. */
    private static final class Answers implements StreamObserver<ServerReflectionResponse> {
        private final int expected;
        private final CompletableFuture<List<ServerReflectionResponse>> result;
        private final List<ServerReflectionResponse> received;

        Answers(int expected, CompletableFuture<List<ServerReflectionResponse>> result) {
            this.expected = expected;
            this.result = result;
            this.received = new ArrayList<>(expected);
        }

        @Override
        public void onNext(ServerReflectionResponse answer) {
            // The protocol answers each request once; a server that sends more gets no more memory.
            if (received.size() < expected) {
                received.add(answer);
            }
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onCompleted() {
            if (received.size() < expected) {
                result.completeExceptionally(Status.INTERNAL.withDescription(
                        "the reflection service answered " + received.size() + " of " + expected + " requests")
                                                            .asRuntimeException());
            } else {
                result.complete(received);
            }
        }
    }
}
