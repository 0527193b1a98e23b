package dev.portico.proxy.protocol;

import dev.portico.proxy.wire.BodyEncoding;
import dev.portico.proxy.wire.Deframer;
import dev.portico.proxy.wire.EnvelopeFormat;
import dev.portico.proxy.wire.HeaderNames;
import dev.portico.proxy.wire.MediaType;
import dev.portico.proxy.wire.MessageDeframer;
import dev.portico.proxy.wire.MessageFramer;
import dev.portico.proxy.wire.PercentEncoding;
import dev.portico.proxy.wire.ProtocolException;
import dev.portico.proxy.wire.TrailerBlock;
import io.grpc.Metadata;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The gRPC family: native gRPC passed through, gRPC-Web, gRPC-Web text, and gRPC-Web over WebSocket, each
 * with the proto or JSON codec. They share the request head,
 * the response head and trailers-only answers; they differ only in where the status goes at the end of a
 * response that has a body (HTTP/2 trailers, or PROTOCOL-WEB.md's trailer frame) and in the body encoding.
 */
public enum GrpcProtocol implements ClientProtocol {
    NATIVE("grpc", EnvelopeFormat.GRPC, BodyEncoding.IDENTITY),
    WEB("grpc-web", EnvelopeFormat.GRPC_WEB, BodyEncoding.IDENTITY),
    WEB_TEXT("grpc-web-text", EnvelopeFormat.GRPC_WEB, BodyEncoding.BASE64),
    /** gRPC-Web binary carried over a WebSocket (improbable-eng's grpc-websockets); the transport reframes. */
    WEBSOCKET("grpc-websocket", EnvelopeFormat.GRPC_WEB, BodyEncoding.IDENTITY);

    private final String tag;
    private final EnvelopeFormat envelope;
    private final BodyEncoding bodyEncoding;

    GrpcProtocol(String tag, EnvelopeFormat envelope, BodyEncoding bodyEncoding) {
        this.tag = tag;
        this.envelope = envelope;
        this.bodyEncoding = bodyEncoding;
    }

    @Override
    public String tag() {
        return tag;
    }

    /** The envelope of request and response messages. */
    public EnvelopeFormat envelope() {
        return envelope;
    }

    @Override
    public Deframer newDeframer(ByteBufAllocator alloc, RequestMeta meta, int maxMessageBytes,
                                MessageDeframer.Listener listener) {
        return new MessageDeframer(envelope, maxMessageBytes, listener);
    }

    @Override
    public BodyEncoding bodyEncoding() {
        return bodyEncoding;
    }

    @Override
    public RequestMeta parseRequest(HttpRequest request, MediaType contentType) throws ProtocolException {
        return EnvelopedHeads.parse(request, contentType, RequestHeads.grpcTimeoutNanos(request.headers()),
                                    HeaderNames.GRPC_ENCODING, HeaderNames.GRPC_ACCEPT_ENCODING);
    }

    @Override
    public boolean defersHead() {
        return false;
    }

    @Override
    public HttpResponse responseHead(RequestMeta meta, Metadata upstreamHeaders) {
        final HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        EnvelopedHeads.addResponseHeaders(head.headers(), meta, upstreamHeaders, HeaderNames.GRPC_ENCODING,
                                          HeaderNames.GRPC_ACCEPT_ENCODING);
        // HTTP/1.1 needs chunks to stream; the HTTP/2 codec drops this connection-specific header.
        HttpUtil.setTransferEncodingChunked(head, true);
        return head;
    }

    @Override
    public ByteBuf encodeMessage(ByteBufAllocator alloc, ByteBuf message, boolean compressed) {
        return bodyEncoding.encode(alloc, MessageFramer.frame(alloc, envelope, message, compressed, false));
    }

    @Override
    public EnvelopeFormat plainEnvelope() {
        return bodyEncoding == BodyEncoding.IDENTITY ? envelope : null;
    }

    @Override
    public HttpObject encodeEnd(ByteBufAllocator alloc, RequestMeta meta, CallOutcome outcome,
                                boolean headSent, DeferredResponse deferred) {
        if (!headSent) {
            // Trailers-only (PROTOCOL-WEB.md): the status travels in the headers and the body is empty.
            // Never an empty trailer frame: connect-es reads that as "unknown" (connect-es#1764).
            final FullHttpResponse response = new DefaultFullHttpResponse(
                    HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.EMPTY_BUFFER);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, meta.responseContentType());
            statusEntries(outcome).forEach(e -> response.headers().add(e.getKey(), e.getValue()));
            HttpUtil.setContentLength(response, 0);
            return response;
        }
        return switch (envelope) {
            case GRPC -> {
                final LastHttpContent last = new DefaultLastHttpContent();
                statusEntries(outcome).forEach(e -> last.trailingHeaders().add(e.getKey(), e.getValue()));
                yield last;
            }
            // PROTOCOL-WEB.md: the trailers are the last message of the body, with the MSB of the flag set.
            case GRPC_WEB -> new DefaultLastHttpContent(bodyEncoding.encode(alloc, MessageFramer.frame(
                    alloc, envelope, TrailerBlock.encode(alloc, statusEntries(outcome)), false, true)));
            case CONNECT -> throw new AssertionError("not a gRPC envelope: " + envelope);
        };
    }

    /** {@code grpc-status}, then {@code grpc-message} when there is one, then the trailing metadata. */
    private static List<Map.Entry<CharSequence, CharSequence>> statusEntries(CallOutcome outcome) {
        final List<Map.Entry<CharSequence, CharSequence>> entries = new ArrayList<>();
        entries.add(new SimpleImmutableEntry<>(HeaderNames.GRPC_STATUS, Integer.toString(outcome.code().value())));
        if (!outcome.message().isEmpty()) {
            entries.add(new SimpleImmutableEntry<>(HeaderNames.GRPC_MESSAGE,
                                                   PercentEncoding.encode(outcome.message())));
        }
        MetadataMapper.forEachEntry(outcome.trailers(),
                                    (name, value) -> entries.add(new SimpleImmutableEntry<>(name, value)));
        return entries;
    }
}
