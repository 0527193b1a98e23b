package dev.portico.loadtest;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.util.JsonFormat;
import dev.portico.loadtest.v1.EchoRequest;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One call the soak makes: a {@link Kind} (protocol, call type, HTTP version), the {@link Fault} it carries
 * and, for unary calls, the request payload size. It knows its request (path, headers, body); the response
 * is judged by {@link SoakResponse}.
 */
record SoakCall(Kind kind, Fault fault, int payloadBytes) {

    /** How the call's messages travel: the content type and how the status comes back. */
    enum Wire {
        /** Native gRPC: the status in the HTTP/2 trailers (or a trailers-only head). */
        GRPC("application/grpc"),
        /** gRPC-Web: the status in the trailer frame (flag 0x80) or a trailers-only head. */
        GRPC_WEB("application/grpc-web+proto"),
        /** PROTOCOL-WEB.md: the same frames, base64-encoded both ways. */
        GRPC_WEB_TEXT("application/grpc-web-text"),
        /** Connect unary: the bare message; the status is the HTTP status, errors a JSON body. */
        CONNECT_PROTO("application/proto"),
        CONNECT_JSON("application/json"),
        /** Connect streaming: enveloped messages, the end is an envelope with flag 0x02 holding JSON. */
        CONNECT_STREAM("application/connect+proto");

        final String contentType;

        Wire(String contentType) {
            this.contentType = contentType;
        }

        boolean enveloped() {
            return this != CONNECT_PROTO && this != CONNECT_JSON;
        }

        /** The envelope flag that marks the frame carrying the end of the call (none for native gRPC). */
        int endFlag() {
            return switch (this) {
                case GRPC_WEB, GRPC_WEB_TEXT -> 0x80;
                case CONNECT_STREAM -> 0x02;
                case GRPC, CONNECT_PROTO, CONNECT_JSON -> 0;
            };
        }
    }

    enum Transport { HTTP1, H2C }

    enum Kind {
        WEB_UNARY_HTTP1("gRPC-Web unary, HTTP/1.1", Wire.GRPC_WEB, Transport.HTTP1, false),
        WEB_UNARY_H2C("gRPC-Web unary, h2c", Wire.GRPC_WEB, Transport.H2C, false),
        WEB_TEXT_UNARY_H2C("gRPC-Web text unary, h2c", Wire.GRPC_WEB_TEXT, Transport.H2C, false),
        CONNECT_PROTO_UNARY_H2C("Connect unary proto, h2c", Wire.CONNECT_PROTO, Transport.H2C, false),
        CONNECT_JSON_UNARY_HTTP1("Connect unary JSON, HTTP/1.1", Wire.CONNECT_JSON, Transport.HTTP1, false),
        GRPC_UNARY_H2C("native gRPC unary, h2c", Wire.GRPC, Transport.H2C, false),
        WEB_STREAM_HTTP1("gRPC-Web server stream, HTTP/1.1", Wire.GRPC_WEB, Transport.HTTP1, true),
        WEB_STREAM_H2C("gRPC-Web server stream, h2c", Wire.GRPC_WEB, Transport.H2C, true),
        WEB_TEXT_STREAM_HTTP1("gRPC-Web text server stream, HTTP/1.1", Wire.GRPC_WEB_TEXT, Transport.HTTP1, true),
        CONNECT_STREAM_H2C("Connect server stream, h2c", Wire.CONNECT_STREAM, Transport.H2C, true),
        CONNECT_STREAM_HTTP1("Connect server stream, HTTP/1.1", Wire.CONNECT_STREAM, Transport.HTTP1, true),
        GRPC_STREAM_H2C("native gRPC server stream, h2c", Wire.GRPC, Transport.H2C, true);

        static final List<Kind> STREAMING = List.of(values()).stream().filter(k -> k.streaming).toList();

        final String label;
        final Wire wire;
        final Transport transport;
        final boolean streaming;

        Kind(String label, Wire wire, Transport transport, boolean streaming) {
            this.label = label;
            this.wire = wire;
            this.transport = transport;
            this.streaming = streaming;
        }
    }

    /** What the call does besides asking and listening to the end. */
    enum Fault {
        NONE("none"),
        /** Echo with response_size -1: the backend answers INVALID_ARGUMENT. */
        ERROR_STATUS("error status from the backend"),
        /** A stream held 2 s by the backend with a 300 ms deadline: DEADLINE_EXCEEDED. */
        DEADLINE("deadline of 300 ms on a 2 s stream"),
        /** h2c: RST_STREAM(CANCEL) right after the request; HTTP/1.1: the connection closed after it. */
        RESET_EARLY("client reset right after the request"),
        /** A 1000-message stream reset (h2c) or its connection closed (HTTP/1.1) after its first message. */
        CANCEL_MID_STREAM("client cancel after the first message"),
        /** A 512 × 1 KiB stream read one frame (h2c) or 1 KiB (HTTP/1.1) per 10 ms. */
        SLOW_READER("slow reader");

        final String label;

        Fault(String label) {
            this.label = label;
        }

        /** The soak ends these calls itself: they count as cancelled on purpose, not as missing a status. */
        boolean cancelsOnPurpose() {
            return this == RESET_EARLY || this == CANCEL_MID_STREAM;
        }
    }

    static final String SERVICE = "/portico.loadtest.v1.BenchService/";
    /** Messages and size of a plain server stream; how long the backend holds the deadline stream. */
    private static final int STREAM_MESSAGES = 20;
    private static final int MESSAGE_BYTES = 1024;

    String path() {
        return SERVICE + (kind.streaming ? "ServerStream" : "Echo");
    }

    /** The request headers besides method, path, host and content length. */
    Map<String, String> headers() {
        final Map<String, String> headers = new LinkedHashMap<>();
        headers.put("content-type", kind.wire.contentType);
        switch (kind.wire) {
            case GRPC -> headers.put("te", "trailers");
            case GRPC_WEB, GRPC_WEB_TEXT -> {
                headers.put("accept", kind.wire.contentType);
                headers.put("x-grpc-web", "1");
            }
            case CONNECT_PROTO, CONNECT_JSON, CONNECT_STREAM -> headers.put("connect-protocol-version", "1");
        }
        if (fault == Fault.DEADLINE) {
            if (kind.wire == Wire.CONNECT_STREAM) {
                headers.put("connect-timeout-ms", "300");
            } else {
                headers.put("grpc-timeout", "300m");
            }
        }
        return headers;
    }

    byte[] body() throws InvalidProtocolBufferException {
        final MessageLite message;
        if (kind.streaming) {
            message = switch (fault) {
                case DEADLINE -> RequestBodies.stream(1, 64, 2000);
                case CANCEL_MID_STREAM -> RequestBodies.stream(1000, MESSAGE_BYTES, 0);
                case SLOW_READER -> RequestBodies.stream(512, MESSAGE_BYTES, 0);
                case NONE, ERROR_STATUS, RESET_EARLY -> RequestBodies.stream(STREAM_MESSAGES, MESSAGE_BYTES, 0);
            };
        } else {
            final EchoRequest echo = RequestBodies.echo(payloadBytes);
            message = fault == Fault.ERROR_STATUS ? echo.toBuilder().setResponseSize(-1).build() : echo;
        }
        return switch (kind.wire) {
            case GRPC, GRPC_WEB, CONNECT_STREAM -> RequestBodies.frame(message);
            case GRPC_WEB_TEXT -> Base64.getEncoder().encode(RequestBodies.frame(message));
            case CONNECT_PROTO -> message.toByteArray();
            case CONNECT_JSON -> JsonFormat.printer().omittingInsignificantWhitespace()
                    .print((EchoRequest) message).getBytes(StandardCharsets.UTF_8);
        };
    }

    String label() {
        return kind.label + (fault == Fault.NONE ? "" : " [" + fault.label + "]");
    }
}
