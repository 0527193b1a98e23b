package dev.portico.proxy.protocol;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.TypeRegistry;
import dev.portico.proxy.schema.RpcKind;
import dev.portico.proxy.wire.BodyEncoding;
import dev.portico.proxy.wire.Deframer;
import dev.portico.proxy.wire.EnvelopeFormat;
import dev.portico.proxy.wire.HeaderNames;
import dev.portico.proxy.wire.MediaType;
import dev.portico.proxy.wire.MessageDeframer;
import dev.portico.proxy.wire.MessageFramer;
import dev.portico.proxy.wire.ProtocolException;
import dev.portico.proxy.wire.RpcCode;
import io.grpc.Metadata;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Connect streaming ({@code application/connect+proto|json}): enveloped messages both ways, always HTTP 200,
 * and an EndStreamResponse (flag 0x02, JSON) as the last envelope carrying the status and trailers.
 */
public final class ConnectStreamProtocol implements ClientProtocol {
    private final Supplier<TypeRegistry> errorDetailTypes;

    /** {@code errorDetailTypes}: the message types known now, to render error details' debug JSON. */
    public ConnectStreamProtocol(Supplier<TypeRegistry> errorDetailTypes) {
        this.errorDetailTypes = requireNonNull(errorDetailTypes, "errorDetailTypes");
    }

    @Override
    public void checkKind(String fullMethodName, RpcKind kind) throws ProtocolException {
        // Connect protocol: unary methods use the unary protocol (application/proto or application/json).
        if (kind == RpcKind.UNARY) {
            throw new ProtocolException(RpcCode.UNIMPLEMENTED, fullMethodName + " is a unary method: call it "
                    + "with the Connect unary protocol (application/proto or application/json), not a stream");
        }
    }

    @Override
    public Optional<FullHttpResponse> pathNotFound(ByteBufAllocator alloc, String message) {
        return Optional.of(ConnectJson.pathNotFound(alloc, message));
    }

    @Override
    public String tag() {
        return "connect";
    }

    @Override
    public Deframer newDeframer(ByteBufAllocator alloc, RequestMeta meta, int maxMessageBytes,
                                MessageDeframer.Listener listener) {
        return new MessageDeframer(EnvelopeFormat.CONNECT, maxMessageBytes, listener);
    }

    @Override
    public BodyEncoding bodyEncoding() {
        return BodyEncoding.IDENTITY;
    }

    @Override
    public RequestMeta parseRequest(HttpRequest request, MediaType contentType) throws ProtocolException {
        return EnvelopedHeads.parse(request, contentType, RequestHeads.connectTimeoutNanos(request.headers()),
                                    HeaderNames.CONNECT_CONTENT_ENCODING, HeaderNames.CONNECT_ACCEPT_ENCODING);
    }

    @Override
    public boolean defersHead() {
        return false;
    }

    @Override
    public HttpResponse responseHead(RequestMeta meta, Metadata upstreamHeaders) {
        final HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        addHeadHeaders(head.headers(), meta, upstreamHeaders);
        HttpUtil.setTransferEncodingChunked(head, true);
        return head;
    }

    private static void addHeadHeaders(HttpHeaders headers, RequestMeta meta, Metadata upstreamHeaders) {
        EnvelopedHeads.addResponseHeaders(headers, meta, upstreamHeaders, HeaderNames.CONNECT_CONTENT_ENCODING,
                                          HeaderNames.CONNECT_ACCEPT_ENCODING);
    }

    @Override
    public ByteBuf encodeMessage(ByteBufAllocator alloc, ByteBuf message, boolean compressed) {
        return MessageFramer.frame(alloc, EnvelopeFormat.CONNECT, message, compressed, false);
    }

    @Override
    public EnvelopeFormat plainEnvelope() {
        return EnvelopeFormat.CONNECT;
    }

    @Override
    public HttpObject encodeEnd(ByteBufAllocator alloc, RequestMeta meta, CallOutcome outcome, boolean headSent,
                                DeferredResponse deferred) {
        final ByteBuf end = MessageFramer.frame(
                alloc, EnvelopeFormat.CONNECT,
                ByteBufUtil.writeUtf8(alloc, ConnectJson.endStream(outcome, errorDetailTypes.get())), false, true);
        if (headSent) {
            return new DefaultLastHttpContent(end);
        }
        // Connect streams have no trailers-only form: a head, then the end-stream message alone.
        final FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                                                                      end);
        addHeadHeaders(response.headers(), meta, new Metadata());
        HttpUtil.setContentLength(response, end.readableBytes());
        return response;
    }
}
