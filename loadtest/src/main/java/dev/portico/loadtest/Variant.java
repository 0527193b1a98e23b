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
    TEXT_H2C("web-text-h2c", Format.GRPC_WEB_TEXT, Transport.H2C);

    /** The unary and streaming scenarios run every variant; the open-streams one the HTTP/2 cleartext ones. */
    static final List<Variant> ALL = List.of(values());
    static final List<Variant> OPEN_STREAMS = List.of(DIRECT, WEB_H2C);

    enum Format {
        GRPC("application/grpc", "native gRPC", false),
        GRPC_WEB("application/grpc-web+proto", "gRPC-Web", false),
        GRPC_WEB_TEXT("application/grpc-web-text", "gRPC-Web text", true);

        final String contentType;
        final String label;
        /** PROTOCOL-WEB.md: text mode carries the same frames base64-encoded, both ways. */
        final boolean base64;

        Format(String contentType, String label, boolean base64) {
            this.contentType = contentType;
            this.label = label;
            this.base64 = base64;
        }

        String bodySuffix() {
            return base64 ? ".grpc-web-text" : ".grpc";
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
