package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.portico.demo.v1.EchoRequest;
import dev.portico.demo.v1.EchoResponse;
import dev.portico.proxy.testing.GrpcWeb;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.TestHttpClient;
import dev.portico.proxy.testing.Transport;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** gRPC-Web message compression: {@code grpc-encoding} in, {@code grpc-accept-encoding} out. */
class GrpcWebCompressionTest {
    private static final String ECHO = "/portico.demo.v1.DemoService/Echo";
    private static PorticoFixture fixture;

    @BeforeAll
    static void start() throws Exception {
        fixture = PorticoFixture.start("");
    }

    @AfterAll
    static void stop() throws Exception {
        fixture.close();
    }

    @Test
    void gzipMessagesAreAcceptedAndLargeResponsesComeBackCompressed() throws Exception {
        final byte[] payload = "squeeze ".repeat(2000).getBytes();
        try (TestHttpClient client = fixture.connect(Transport.H2C)) {
            final HttpHeaders headers = GrpcWeb.headers(GrpcWeb.PROTO)
                    .set("grpc-encoding", "gzip").set("grpc-accept-encoding", "gzip");
            final TestHttpClient.Response response = client.call(HttpMethod.POST, ECHO, headers, GrpcWeb.frame(1,
                    gzip(EchoRequest.newBuilder().setPayload(ByteString.copyFrom(payload)).build().toByteArray())));

            assertThat(response.headers().get("grpc-encoding")).isEqualTo("gzip");
            final ByteBuffer body = ByteBuffer.wrap(response.body());
            assertThat(body.get()).as("the message frame's compressed flag").isEqualTo((byte) 1);
            final byte[] compressed = new byte[body.getInt()];
            body.get(compressed);
            assertThat(compressed.length).isLessThan(payload.length / 10);
            assertThat(EchoResponse.parseFrom(gunzip(compressed)).getPayload().toByteArray()).isEqualTo(payload);
        }
    }

    @Test
    void smallResponsesAndClientsThatDoNotAskStayUncompressed() throws Exception {
        try (TestHttpClient client = fixture.connect(Transport.HTTP1)) {
            final TestHttpClient.Response small = client.call(HttpMethod.POST, ECHO,
                    GrpcWeb.headers(GrpcWeb.PROTO).set("grpc-accept-encoding", "gzip"),
                    GrpcWeb.frame(EchoRequest.newBuilder().setMessage("tiny").build()));
            assertThat(small.body()[0]).isEqualTo((byte) 0);

            final TestHttpClient.Response unasked = client.call(HttpMethod.POST, ECHO, GrpcWeb.headers(GrpcWeb.PROTO),
                    GrpcWeb.frame(EchoRequest.newBuilder().setPayload(ByteString.copyFrom(new byte[5000])).build()));
            assertThat(unasked.headers().contains("grpc-encoding")).isFalse();
            assertThat(unasked.body()[0]).isEqualTo((byte) 0);
        }
    }

    @Test
    void aCompressedFrameWithoutAnEncodingIsRefusedAndTheNextCallWorks() throws Exception {
        try (TestHttpClient client = fixture.connect(Transport.HTTP1)) {
            final TestHttpClient.Response response = client.call(HttpMethod.POST, ECHO, GrpcWeb.headers(GrpcWeb.PROTO),
                    GrpcWeb.frame(1, gzip(EchoRequest.getDefaultInstance().toByteArray())));
            assertThat(response.headers().get("grpc-status")).isEqualTo("13");

            final TestHttpClient.Response next = client.call(HttpMethod.POST, ECHO, GrpcWeb.headers(GrpcWeb.PROTO),
                    GrpcWeb.frame(EchoRequest.newBuilder().setMessage("ok").build()));
            assertThat(GrpcWeb.parse(next.body()).trailer("grpc-status")).isEqualTo("0");
        }
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
            gzip.write(bytes);
        }
        return out.toByteArray();
    }

    private static byte[] gunzip(byte[] bytes) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
            return in.readAllBytes();
        }
    }
}
