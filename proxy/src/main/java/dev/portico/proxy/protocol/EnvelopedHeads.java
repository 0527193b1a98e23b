package dev.portico.proxy.protocol;

import dev.portico.proxy.wire.Compression;
import dev.portico.proxy.wire.MediaType;
import dev.portico.proxy.wire.ProtocolException;
import io.grpc.Metadata;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.AsciiString;

/**
 * Request and response heads of the enveloped protocols (gRPC, gRPC-Web, Connect streaming): the same
 * fields, under each protocol's own header names for message compression.
 */
final class EnvelopedHeads {
    private EnvelopedHeads() {}

    /**
     * The request's meta. The response mirrors the request's content type (bare, +proto or +json), without
     * parameters.
     */
    static RequestMeta parse(HttpRequest request, MediaType contentType, long timeoutNanos,
                             AsciiString encodingHeader, AsciiString acceptEncodingHeader) throws ProtocolException {
        final HttpHeaders headers = request.headers();
        return new RequestMeta(RequestHeads.fullMethodName(request.uri()),
                               timeoutNanos,
                               MetadataMapper.toMetadata(headers),
                               contentType.essence(),
                               RequestHeads.codec(contentType.suffix()),
                               Compression.named(headers.get(encodingHeader)),
                               Compression.accepted(headers.get(acceptEncodingHeader)),
                               null);
    }

    /** Content type, the response compression and what Portico accepts, then the upstream's headers. */
    static void addResponseHeaders(HttpHeaders out, RequestMeta meta, Metadata upstreamHeaders,
                                   AsciiString encodingHeader, AsciiString acceptEncodingHeader) {
        out.set(HttpHeaderNames.CONTENT_TYPE, meta.responseContentType());
        if (meta.responseCompression() != Compression.IDENTITY) {
            out.set(encodingHeader, meta.responseCompression().token());
        }
        out.set(acceptEncodingHeader, Compression.SUPPORTED);
        MetadataMapper.forEachEntry(upstreamHeaders, out::add);
    }
}
