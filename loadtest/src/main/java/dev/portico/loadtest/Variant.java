package dev.portico.loadtest;

import java.util.List;

/**
 * One way of making the same call: a wire format over a transport, either directly to the backend (the
 * native gRPC baseline) or through Portico. HTTP/2 variants are driven by h2load, HTTP/1.1 by wrk.
 */
enum Variant {
    DIRECT("direct-grpc", Format.GRPC, Transport.H2C),
    WEB_HTTP1("web-http1", Format.GRPC_WEB, Transport.HTTP1),
    WEB_H2C("web-h2c", Format.GRPC_WEB, Transport.H2C),
    WEB_TLS("web-tls", Format.GRPC_WEB, Transport.H2_TLS),
    TEXT_H2C("web-text-h2c", Format.GRPC_WEB_TEXT, Transport.H2C),
    CONNECT_PROTO_H2C("connect-proto-h2c", Format.CONNECT_PROTO, Transport.H2C),
    CONNECT_JSON_H2C("connect-json-h2c", Format.CONNECT_JSON, Transport.H2C);

    /** The unary scenarios run every variant; server streaming the enveloped ones (Connect unary cannot stream). */
    static final List<Variant> ALL = List.of(values());
    static final List<Variant> STREAMING = List.of(DIRECT, WEB_HTTP1, WEB_H2C, WEB_TLS, TEXT_H2C);
    /** The open-streams scenario: HTTP/2 cleartext, direct and gRPC-Web. */
    static final List<Variant> OPEN_STREAMS = List.of(DIRECT, WEB_H2C);

    enum Format {
        GRPC("application/grpc", "native gRPC", ".grpc"),
        GRPC_WEB("application/grpc-web+proto", "gRPC-Web", ".grpc"),
        /** PROTOCOL-WEB.md: text mode carries the same frames base64-encoded, both ways. */
        GRPC_WEB_TEXT("application/grpc-web-text", "gRPC-Web text", ".grpc-web-text"),
        /** Connect unary: the body is the bare message, no envelope; the status is the HTTP status. */
        CONNECT_PROTO("application/proto", "Connect proto", ".connect-proto"),
        CONNECT_JSON("application/json", "Connect JSON", ".connect-json");

        final String contentType;
        final String label;
        final String bodySuffix;

        Format(String contentType, String label, String bodySuffix) {
            this.contentType = contentType;
            this.label = label;
            this.bodySuffix = bodySuffix;
        }

        boolean base64() {
            return this == GRPC_WEB_TEXT;
        }

        boolean connect() {
            return this == CONNECT_PROTO || this == CONNECT_JSON;
        }

        /** The request headers besides the content type, as curl and h2load take them. */
        List<String> headers() {
            return switch (this) {
                case GRPC -> List.of("te: trailers");
                case GRPC_WEB, GRPC_WEB_TEXT -> List.of("accept: " + contentType, "x-grpc-web: 1");
                case CONNECT_PROTO, CONNECT_JSON -> List.of("connect-protocol-version: 1");
            };
        }
    }

    enum Transport {
        H2C("h2c"), H2_TLS("h2 (TLS)"), HTTP1("HTTP/1.1");

        final String label;

        Transport(String label) {
            this.label = label;
        }
    }

    final String id;
    final Format format;
    final Transport transport;

    Variant(String id, Format format, Transport transport) {
        this.id = id;
        this.format = format;
        this.transport = transport;
    }

    boolean direct() {
        return format == Format.GRPC;
    }

    boolean tls() {
        return transport == Transport.H2_TLS;
    }

    String label() {
        return direct() ? "direct gRPC (h2c)" : format.label + ", " + transport.label;
    }

    String url(Options o, String method) {
        final String path = "/portico.loadtest.v1.BenchService/" + method;
        if (direct()) {
            return "http://127.0.0.1:" + o.backendPort() + path;
        }
        return (tls() ? "https" : "http") + "://127.0.0.1:" + o.porticoPort() + path;
    }
}
