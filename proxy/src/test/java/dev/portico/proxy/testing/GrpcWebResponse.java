package dev.portico.proxy.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A gRPC-Web response as a client reads it: HTTP 200, then the status either in the response headers with
 * an empty body (trailers-only, when nothing was sent before the call ended) or in the body's trailer
 * frame after the messages (PROTOCOL-WEB.md). Reading checks that the response is exactly one of the two.
 *
 * @param code the grpc-status
 * @param message the grpc-message, percent-decoded; empty if absent
 * @param trailersOnly whether the status came in the headers, with an empty body
 * @param messages the data messages before the trailer frame
 * @param headers the HTTP response headers
 */
public record GrpcWebResponse(int code, String message, boolean trailersOnly, List<byte[]> messages,
                              HttpHeaders headers) {

    /** Reads the {@code response} to a call in {@code mode}: {@link GrpcWeb#PROTO} or {@link GrpcWeb#TEXT}. */
    public static GrpcWebResponse of(TestHttpClient.Response response, String mode) {
        assertThat(response.status()).as("HTTP status of a gRPC-Web response").isEqualTo(200);
        assertThat(response.headers().get("content-type")).as("content-type").isEqualTo(mode);
        final HttpHeaders headers = response.headers();
        if (response.body().length == 0) {
            assertThat(headers.get("grpc-status")).as("grpc-status header of a trailers-only response")
                                                  .isNotNull();
            return new GrpcWebResponse(Integer.parseInt(headers.get("grpc-status")),
                                       percentDecode(headers.get("grpc-message")), true, List.of(), headers);
        }
        assertThat(headers.contains("grpc-status"))
                .as("grpc-status in the headers of a response with a body (it belongs in the trailer frame)")
                .isFalse();
        final GrpcWeb.Body body = GrpcWeb.parse(GrpcWeb.TEXT.equals(mode) ? GrpcWeb.decodeText(response.body())
                                                                          : response.body());
        assertThat(body.trailerFrames()).as("trailer frames").isEqualTo(1);
        assertThat(body.trailer("grpc-status")).as("grpc-status in the trailer frame").isNotNull();
        return new GrpcWebResponse(Integer.parseInt(body.trailer("grpc-status")),
                                   percentDecode(body.trailer("grpc-message")), false,
                                   List.copyOf(body.messages()), headers);
    }

    public <T extends MessageLite> List<T> messages(Parser<T> parser) throws InvalidProtocolBufferException {
        final List<T> parsed = new ArrayList<>();
        for (byte[] m : messages) {
            parsed.add(parser.parseFrom(m));
        }
        return parsed;
    }

    /** PROTOCOL-HTTP2.md grpc-message: UTF-8 with bytes outside %x20-%x7E (and '%') as %XX. */
    private static String percentDecode(String value) {
        if (value == null) {
            return "";
        }
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < value.length(); i++) {
            final char c = value.charAt(i);
            if (c == '%' && i + 2 < value.length()) {
                out.write(Integer.parseInt(value.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.write(c);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
