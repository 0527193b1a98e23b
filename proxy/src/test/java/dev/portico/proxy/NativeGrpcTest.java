package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import com.google.rpc.ErrorInfo;
import dev.portico.demo.v1.DemoServiceGrpc;
import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.EchoResponse;
import dev.portico.demo.v1.FailRequest;
import dev.portico.demo.v1.StreamRequest;
import dev.portico.proxy.testing.EarlyAnswers;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.SingleResponse;
import dev.portico.proxy.testing.TestHttpClient;
import dev.portico.proxy.testing.Transport;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Native gRPC passed through Portico over h2c, called by a real grpc-java client with the generated stubs:
 * every kind of call, metadata both ways, status messages and rich error details arrive as the backend
 * sent them. Over HTTP/1.1, native gRPC is refused with 505.
 */
class NativeGrpcTest {
    private static final Metadata.Key<String> ECHO_FOO =
            Metadata.Key.of("x-echo-foo", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> TRAILER_FOO =
            Metadata.Key.of("x-trailer-foo", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<byte[]> ECHO_DATA =
            Metadata.Key.of("x-echo-data-bin", Metadata.BINARY_BYTE_MARSHALLER);
    private static final Metadata.Key<byte[]> TRAILER_DATA =
            Metadata.Key.of("x-trailer-data-bin", Metadata.BINARY_BYTE_MARSHALLER);
    private static final Metadata.Key<byte[]> STATUS_DETAILS =
            Metadata.Key.of("grpc-status-details-bin", Metadata.BINARY_BYTE_MARSHALLER);
    private static final long TIMEOUT_SECONDS = 10;
    private static final String ECHO_PATH = "/portico.demo.v1.DemoService/Echo";

    private static PorticoFixture fixture;
    private static ManagedChannel channel;

    @BeforeAll
    static void start() throws Exception {
        fixture = PorticoFixture.start("");
        // Plaintext means h2c with prior knowledge: the client talks HTTP/2 from its first byte.
        channel = NettyChannelBuilder.forAddress("127.0.0.1", fixture.port()).usePlaintext().build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (channel != null) {
            channel.shutdownNow();
            channel.awaitTermination(5, TimeUnit.SECONDS);
        }
        if (fixture != null) {
            fixture.close();
        }
    }

    private static DemoServiceGrpc.DemoServiceBlockingStub blocking() {
        return DemoServiceGrpc.newBlockingStub(channel).withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    private static DemoServiceGrpc.DemoServiceStub async() {
        return DemoServiceGrpc.newStub(channel).withDeadlineAfter(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    @Test
    void unaryEchoCarriesMetadataToTheBackendAndHeadersAndTrailersBack() {
        final byte[] binary = {(byte) 0xfb, (byte) 0xff, (byte) 0xbf, 0x00, 0x01, ','};
        final Metadata sent = new Metadata();
        sent.put(ECHO_FOO, "bar");
        sent.put(ECHO_DATA, binary);
        final ClientInterceptor attach = MetadataUtils.newAttachHeadersInterceptor(sent);
        final AtomicReference<Metadata> headers = new AtomicReference<>();
        final AtomicReference<Metadata> trailers = new AtomicReference<>();
        final ClientInterceptor capture = MetadataUtils.newCaptureMetadataInterceptor(headers, trailers);

        final EchoResponse response = blocking().withInterceptors(attach, capture)
                .echo(EchoRequest.newBuilder().setMessage("native héllo")
                                 .setPayload(ByteString.copyFrom(binary)).build());

        assertThat(response.getMessage()).isEqualTo("native héllo");
        assertThat(response.getPayload().toByteArray()).isEqualTo(binary);
        assertThat(response.getMetadataMap()).containsEntry("x-echo-foo", "bar");
        assertThat(headers.get().get(ECHO_FOO)).isEqualTo("bar");
        assertThat(headers.get().get(ECHO_DATA)).isEqualTo(binary);
        assertThat(trailers.get().get(TRAILER_FOO)).isEqualTo("bar");
        assertThat(trailers.get().get(TRAILER_DATA)).isEqualTo(binary);
    }

    @Test
    void serverStreamDeliversAHundredMessagesInOrder() {
        final Iterator<EchoResponse> stream = blocking().serverStream(
                StreamRequest.newBuilder().setCount(100).setSize(512).setMessage("tick").build());

        final List<EchoResponse> received = new ArrayList<>();
        stream.forEachRemaining(received::add);

        assertThat(received).hasSize(100);
        for (int i = 0; i < received.size(); i++) {
            assertThat(received.get(i).getIndex()).isEqualTo(i);
            assertThat(received.get(i).getMessage()).isEqualTo("tick");
            assertThat(received.get(i).getPayload().size()).isEqualTo(512);
        }
    }

    @Test
    void clientStreamCollectsEveryMessageSent() throws Exception {
        final CompletableFuture<EchoResponse> result = new CompletableFuture<>();
        final StreamObserver<EchoRequest> requests = async().clientStream(new SingleResponse(result));
        for (String text : List.of("a", "b", "", "c", "d")) {
            requests.onNext(EchoRequest.newBuilder().setMessage(text).build());
        }
        requests.onCompleted();

        final EchoResponse collected = result.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(collected.getMessage()).isEqualTo("a,b,,c,d");
        assertThat(collected.getIndex()).isEqualTo(5);
    }

    @Test
    void bidiStreamAnswersEachMessageBeforeTheNextIsSent() throws Exception {
        final BlockingQueue<EchoResponse> answers = new LinkedBlockingQueue<>();
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final StreamObserver<EchoRequest> requests = async().bidiStream(new StreamObserver<>() {
            @Override
            public void onNext(EchoResponse value) {
                answers.add(value);
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                done.complete(null);
            }
        });

        for (int i = 0; i < 5; i++) {
            requests.onNext(EchoRequest.newBuilder().setMessage("ping " + i).build());
            // The answer arrives while the request stream is still open: full duplex through Portico.
            final EchoResponse answer = answers.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertThat(answer).as("answer to ping %d", i).isNotNull();
            assertThat(answer.getMessage()).isEqualTo("ping " + i);
            assertThat(answer.getIndex()).isEqualTo(i);
        }
        requests.onCompleted();

        done.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(answers).isEmpty();
    }

    @Test
    void failWithDetailsArrivesWithItsCodeMessageAndGoogleRpcStatus() {
        final String message = "precondition failed: 100% ü\nsecond line";
        final StatusRuntimeException error = catchThrowableOfType(
                StatusRuntimeException.class,
                () -> blocking().fail(
                        FailRequest.newBuilder().setCode(9).setMessage(message).setWithDetails(true).build()));

        assertThat(error).isNotNull();
        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(error.getStatus().getDescription()).isEqualTo(message);
        assertThat(error.getTrailers().containsKey(STATUS_DETAILS)).isTrue();
        final com.google.rpc.Status details = StatusProto.fromThrowable(error);
        assertThat(details).isNotNull();
        assertThat(details.getCode()).isEqualTo(9);
        assertThat(details.getMessage()).isEqualTo(message);
        assertThat(details.getDetailsList()).hasSize(1);
        assertThat(details.getDetails(0).is(ErrorInfo.class)).isTrue();
    }

    @Test
    void failWithoutDetailsKeepsTheExactStatusMessage() {
        final String message = "not here: 日本語 🙂 %2F stays literal";
        final StatusRuntimeException error = catchThrowableOfType(
                StatusRuntimeException.class,
                () -> blocking().fail(FailRequest.newBuilder().setCode(5).setMessage(message).build()));

        assertThat(error).isNotNull();
        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(error.getStatus().getDescription()).isEqualTo(message);
        // No details were sent, so Portico must not invent any.
        assertThat(error.getTrailers().containsKey(STATUS_DETAILS)).isFalse();
    }

    @Test
    void nativeGrpcOverHttp1IsRefusedWith505() throws Exception {
        try (TestHttpClient client = fixture.connect(Transport.HTTP1)) {
            final TestHttpClient.Response refused = EarlyAnswers.call(
                    client, HttpMethod.POST, ECHO_PATH, nativeHeaders(),
                    GrpcWeb.frame(EchoRequest.getDefaultInstance()));

            assertThat(refused.status()).isEqualTo(505);
            assertThat(new String(refused.body(), StandardCharsets.UTF_8)).contains("HTTP/2");
        }
    }

    @Test
    void afterRefusingNativeGrpcTheHttp1ConnectionServesTheNextCall() throws Exception {
        // STYLE.md C6 rule 10: a request Portico refuses leaves the connection usable for the next one.
        try (TestHttpClient client = fixture.connect(Transport.HTTP1)) {
            final byte[] frame = GrpcWeb.frame(EchoRequest.newBuilder().setMessage("h1").build());
            final TestHttpClient.Response refused = EarlyAnswers.call(
                    client, HttpMethod.POST, ECHO_PATH, nativeHeaders(), frame);
            assertThat(refused.status()).isEqualTo(505);

            final TestHttpClient.Response next;
            try {
                next = client.call(HttpMethod.POST, ECHO_PATH, GrpcWeb.headers(GrpcWeb.PROTO), frame);
            } catch (Exception e) {
                if (!(e instanceof IOException)) {
                    throw e;
                }
                throw new AssertionError("Portico closed the connection after the 505 (which did not say "
                                         + "Connection: close) instead of serving the next call", e);
            }
            assertThat(next.status()).isEqualTo(200);
            assertThat(GrpcWeb.parse(next.body()).trailer("grpc-status")).isEqualTo("0");
        }
    }

    /** What a native gRPC client sends, here over HTTP/1.1. */
    private static HttpHeaders nativeHeaders() {
        return new DefaultHttpHeaders().set("content-type", "application/grpc").set("te", "trailers");
    }
}
