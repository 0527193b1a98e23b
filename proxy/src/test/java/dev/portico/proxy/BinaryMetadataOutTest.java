package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import dev.portico.proxy.testing.ConnectWire;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.TestBackend;
import dev.portico.proxy.testing.TestHttpClient;
import dev.portico.proxy.testing.Transport;
import io.grpc.Metadata;
import io.grpc.Status;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Binary ({@code -bin}) metadata that Portico writes is base64 without padding, in every place it writes it:
 * gRPC-Web response headers, the trailer frame (binary and text), trailers-only headers, native gRPC
 * headers and trailers, Connect unary {@code trailer-*} headers and the Connect end-stream metadata.
 * PROTOCOL-HTTP2.md: "Implementations MUST accept padded and un-padded values and should emit un-padded
 * values." The upstream is a real grpc-java server that answers with a custom {@code -bin} header, then
 * {@code grpc-status-details-bin} and a custom {@code -bin} trailer.
 */
class BinaryMetadataOutTest {
    private static final String METHOD = "/test.v1.Binary/Call";

    /** Five bytes: padded base64 "+/+/AAE=", unpadded "+/+/AAE". */
    private static final byte[] VALUE = {(byte) 0xfb, (byte) 0xff, (byte) 0xbf, 0x00, 0x01};
    private static final String VALUE_UNPADDED = "+/+/AAE";

    private static final com.google.rpc.Status DETAILS = com.google.rpc.Status.newBuilder()
            .setCode(Status.Code.ABORTED.value())
            .setMessage("aborted")
            .addDetails(Any.pack(ErrorInfo.newBuilder().setReason("TEST").setDomain("portico.dev").build()))
            .build();
    private static final String DETAILS_UNPADDED =
            java.util.Base64.getEncoder().withoutPadding().encodeToString(DETAILS.toByteArray());

    private static final Metadata.Key<byte[]> CUSTOM_BIN = Metadata.Key.of("x-custom-bin",
                                                                             Metadata.BINARY_BYTE_MARSHALLER);
    private static final Metadata.Key<byte[]> DETAILS_BIN = Metadata.Key.of("grpc-status-details-bin",
                                                                              Metadata.BINARY_BYTE_MARSHALLER);

    private static TestBackend backend;
    private static PorticoFixture portico;

    @BeforeAll
    static void start() throws Exception {
        // A padded encoding of either value has '=': the assertions below would see it.
        assertThat(VALUE.length % 3).isNotZero();
        assertThat(DETAILS.toByteArray().length % 3).isNotZero();
        backend = TestBackend.startWithoutHealthService("binary");
        portico = PorticoFixture.startInFrontOf(backend.port(), "portico.upstream.health-check.enabled = false");
    }

    @AfterAll
    static void stop() throws Exception {
        if (portico != null) {
            portico.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    @AfterEach
    void echoAgain() {
        backend.answerWith(null);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dev.portico.proxy.testing.GrpcWeb#transportsAndModes")
    void grpcWebHeadersAndTrailerFrameCarryUnpaddedBinaryValues(Transport transport, String mode)
            throws Exception {
        backend.answerWith(failingAfterTheEcho(false));
        final TestHttpClient.Response response = call(transport, GrpcWeb.headers(mode),
                                                      grpcWebBody(mode, new byte[] {1, 2, 3}));

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.headers().get("x-custom-bin")).isEqualTo(VALUE_UNPADDED);
        final GrpcWeb.Body body = GrpcWeb.parse(mode.equals(GrpcWeb.TEXT) ? GrpcWeb.decodeText(response.body())
                                                                          : response.body());
        assertThat(body.messages()).hasSize(1);
        assertThat(body.trailer("grpc-status")).isEqualTo("10");
        assertThat(body.trailer("grpc-status-details-bin")).isEqualTo(DETAILS_UNPADDED);
        assertThat(body.trailer("x-custom-bin")).isEqualTo(VALUE_UNPADDED);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dev.portico.proxy.testing.GrpcWeb#transportsAndModes")
    void grpcWebTrailersOnlyHeadersCarryUnpaddedBinaryValues(Transport transport, String mode) throws Exception {
        backend.answerWith(failingAfterTheEcho(true));
        final TestHttpClient.Response response = call(transport, GrpcWeb.headers(mode),
                                                      grpcWebBody(mode, new byte[] {1, 2, 3}));

        assertThat(response.headers().get("grpc-status")).isEqualTo("10");
        assertThat(response.headers().get("grpc-status-details-bin")).isEqualTo(DETAILS_UNPADDED);
        assertThat(response.headers().get("x-custom-bin")).isEqualTo(VALUE_UNPADDED);
        assertThat(response.body()).isEmpty();
    }

    @Test
    void nativeGrpcHeadersAndTrailersCarryUnpaddedBinaryValues() throws Exception {
        backend.answerWith(failingAfterTheEcho(false));
        final HttpHeaders headers = GrpcWeb.headers("application/grpc").set("te", "trailers");
        final TestHttpClient.Response response = call(Transport.H2C, headers, GrpcWeb.frame(0, new byte[] {1}));

        assertThat(response.headers().get("x-custom-bin")).isEqualTo(VALUE_UNPADDED);
        assertThat(response.trailers().get("grpc-status")).isEqualTo("10");
        assertThat(response.trailers().get("grpc-status-details-bin")).isEqualTo(DETAILS_UNPADDED);
        assertThat(response.trailers().get("x-custom-bin")).isEqualTo(VALUE_UNPADDED);
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void connectUnaryHeadersAndTrailerHeadersCarryUnpaddedBinaryValues(Transport transport) throws Exception {
        final Metadata trailers = new Metadata();
        trailers.put(CUSTOM_BIN, VALUE);
        backend.answerWith(new TestBackend.Answer(customHeader(), false, Status.OK, trailers));

        final TestHttpClient.Response ok = call(transport, ConnectWire.unaryHeaders("proto"), new byte[] {1, 2});

        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.headers().get("x-custom-bin")).isEqualTo(VALUE_UNPADDED);
        assertThat(ok.headers().get("trailer-x-custom-bin")).isEqualTo(VALUE_UNPADDED);

        backend.answerWith(failingAfterTheEcho(false));
        final TestHttpClient.Response failed = call(transport, ConnectWire.unaryHeaders("proto"), new byte[] {1});

        assertThat(failed.status()).isEqualTo(409);
        assertThat(failed.headers().get("trailer-x-custom-bin")).isEqualTo(VALUE_UNPADDED);
        // Connect spec: the error's details carry the value, "encoded with standard base64 without padding".
        final JsonObject error = ConnectWire.json(failed.body());
        assertThat(error.get("code").getAsString()).isEqualTo("aborted");
        assertThat(error.getAsJsonArray("details").get(0).getAsJsonObject().get("value").getAsString())
                .isEqualTo(java.util.Base64.getEncoder().withoutPadding()
                                   .encodeToString(DETAILS.getDetails(0).getValue().toByteArray()));
    }

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"HTTP1", "H2C"})
    void connectEndStreamMetadataCarriesUnpaddedBinaryValues(Transport transport) throws Exception {
        backend.answerWith(failingAfterTheEcho(false));
        final TestHttpClient.Response response = call(transport, ConnectWire.streamHeaders("proto"),
                                                      ConnectWire.envelope(0, new byte[] {1, 2, 3}));

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.headers().get("x-custom-bin")).isEqualTo(VALUE_UNPADDED);
        final ConnectWire.Stream stream = ConnectWire.parseStream(response.body());
        assertThat(stream.messages()).hasSize(1);
        final JsonObject end = stream.end();
        assertThat(end.getAsJsonObject("error").get("code").getAsString()).isEqualTo("aborted");
        assertThat(end.getAsJsonObject("metadata").getAsJsonArray("x-custom-bin").get(0).getAsString())
                .isEqualTo(VALUE_UNPADDED);
    }

    // ---- Helpers ----

    private static TestBackend.Answer failingAfterTheEcho(boolean trailersOnly) {
        final Metadata trailers = new Metadata();
        trailers.put(DETAILS_BIN, DETAILS.toByteArray());
        trailers.put(CUSTOM_BIN, VALUE);
        return new TestBackend.Answer(customHeader(), trailersOnly,
                                      Status.ABORTED.withDescription("aborted"), trailers);
    }

    private static Metadata customHeader() {
        final Metadata headers = new Metadata();
        headers.put(CUSTOM_BIN, VALUE);
        return headers;
    }

    private static byte[] grpcWebBody(String mode, byte[] message) {
        final byte[] frame = GrpcWeb.frame(0, message);
        return mode.equals(GrpcWeb.TEXT) ? GrpcWeb.base64(frame) : frame;
    }

    private static TestHttpClient.Response call(Transport transport, HttpHeaders headers, byte[] body)
            throws Exception {
        try (TestHttpClient client = portico.connect(transport)) {
            return client.call(HttpMethod.POST, METHOD, headers, body);
        }
    }
}
