package dev.portico.proxy.protocol;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.TypeRegistry;
import dev.portico.config.ConnectSettings;
import dev.portico.proxy.schema.RpcKind;
import dev.portico.proxy.wire.BodyEncoding;
import dev.portico.proxy.wire.Compression;
import dev.portico.proxy.wire.Deframer;
import dev.portico.proxy.wire.HeaderNames;
import dev.portico.proxy.wire.MediaType;
import dev.portico.proxy.wire.MessageDeframer;
import dev.portico.proxy.wire.ProtocolException;
import dev.portico.proxy.wire.RpcCode;
import dev.portico.proxy.wire.WholeBodyDeframer;
import io.grpc.Metadata;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.zip.CRC32C;

/**
 * Connect unary: POST with a bare message body ({@code application/proto|json}), or GET with the message in
 * the query. The HTTP status depends on the outcome, so the whole response is written at the call's end:
 * the message with headers and {@code trailer-}-prefixed trailers, or the error JSON with the status the
 * Connect spec's code table gives.
 */
public final class ConnectUnaryProtocol implements ClientProtocol {
    private static final String TAG = "connect";
    private final ConnectSettings settings;
    private final Supplier<TypeRegistry> errorDetailTypes;

    public ConnectUnaryProtocol(ConnectSettings settings, Supplier<TypeRegistry> errorDetailTypes) {
        this.settings = requireNonNull(settings, "settings");
        this.errorDetailTypes = requireNonNull(errorDetailTypes, "errorDetailTypes");
    }

    @Override
    public void checkKind(String fullMethodName, RpcKind kind) throws ProtocolException {
        if (kind != RpcKind.UNARY) {
            throw new ProtocolException(RpcCode.UNIMPLEMENTED, fullMethodName + " is a " + kind.label()
                    + " method: call it with the Connect streaming protocol (application/connect+proto or "
                    + "application/connect+json), not the unary one");
        }
    }

    @Override
    public Optional<FullHttpResponse> pathNotFound(ByteBufAllocator alloc, String message) {
        return Optional.of(ConnectJson.pathNotFound(alloc, message));
    }

    @Override
    public String tag() {
        return TAG;
    }

    @Override
    public Deframer newDeframer(ByteBufAllocator alloc, RequestMeta meta, int maxMessageBytes,
                                MessageDeframer.Listener listener) {
        // Content-Encoding compresses the whole body, which is the message.
        return new WholeBodyDeframer(alloc, maxMessageBytes, meta.requestCompression() != Compression.IDENTITY,
                                     listener);
    }

    @Override
    public BodyEncoding bodyEncoding() {
        return BodyEncoding.IDENTITY;
    }

    @Override
    public RequestMeta parseRequest(HttpRequest request, MediaType contentType) throws ProtocolException {
        final HttpHeaders headers = request.headers();
        if (HttpMethod.GET.equals(request.method())) {
            return parseGet(request);
        }
        RequestHeads.checkConnectVersion(headers.get(HeaderNames.CONNECT_PROTOCOL_VERSION), "1",
                                         settings.requireProtocolVersion(), "Connect-Protocol-Version");
        final Codec codec = RequestHeads.codec(contentType.subtype());
        return new RequestMeta(RequestHeads.fullMethodName(request.uri()),
                               RequestHeads.connectTimeoutNanos(headers),
                               MetadataMapper.toMetadata(headers),
                               "application/" + codec.codecName(),
                               codec,
                               Compression.named(headers.get(HttpHeaderNames.CONTENT_ENCODING)),
                               Compression.accepted(headers.get(HttpHeaderNames.ACCEPT_ENCODING)),
                               null);
    }

    /** GET /pkg.Service/Method?connect=v1&encoding=json&base64=1&compression=gzip&message=... */
    private RequestMeta parseGet(HttpRequest request) throws ProtocolException {
        final QueryStringDecoder query = new QueryStringDecoder(request.uri());
        final Map<String, List<String>> params;
        final String path;
        try {
            params = query.parameters();
            path = query.path();
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(RpcCode.INVALID_ARGUMENT, "malformed URL: " + e.getMessage(), e);
        }
        RequestHeads.checkConnectVersion(first(params, "connect"), "v1", settings.requireProtocolVersion(),
                                         "connect query parameter");
        final String encoding = first(params, "encoding");
        final String message = first(params, "message");
        if (encoding == null || message == null) {
            throw new ProtocolException(RpcCode.INVALID_ARGUMENT,
                                        "a Connect GET needs the query parameters encoding and message");
        }
        final Codec codec = RequestHeads.codec(encoding);
        final byte[] bytes;
        if ("1".equals(first(params, "base64"))) {
            try {
                // RFC 4648 section 5 (URL-safe); padding optional.
                bytes = Base64.getUrlDecoder().decode(message.replace("=", ""));
            } catch (IllegalArgumentException e) {
                throw new ProtocolException(RpcCode.INVALID_ARGUMENT,
                                            "the message query parameter is not URL-safe base64", e);
            }
        } else {
            bytes = message.getBytes(StandardCharsets.UTF_8);
        }
        final HttpHeaders headers = request.headers();
        return new RequestMeta(RequestHeads.fullMethodName(path),
                               RequestHeads.connectTimeoutNanos(headers),
                               MetadataMapper.toMetadata(headers),
                               "application/" + codec.codecName(),
                               codec,
                               Compression.named(first(params, "compression")),
                               Compression.accepted(headers.get(HttpHeaderNames.ACCEPT_ENCODING)),
                               bytes);
    }

    private static String first(Map<String, List<String>> params, String name) {
        final List<String> values = params.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    @Override
    public boolean defersHead() {
        return true;
    }

    @Override
    public HttpResponse responseHead(RequestMeta meta, Metadata upstreamHeaders) {
        throw new UnsupportedOperationException("Connect unary writes its head with the outcome");
    }

    @Override
    public ByteBuf encodeMessage(ByteBufAllocator alloc, ByteBuf message, boolean compressed) {
        return message; // No envelope: the body is the message.
    }

    @Override
    public HttpObject encodeEnd(ByteBufAllocator alloc, RequestMeta meta, CallOutcome outcome, boolean headSent,
                                DeferredResponse deferred) {
        // A unary answer needs its message; an upstream method that sent none is not unary.
        final CallOutcome end = outcome.code() == RpcCode.OK && deferred.message() == null
                ? new CallOutcome(RpcCode.UNIMPLEMENTED, "the upstream ended the unary call without a message",
                                  outcome.trailers())
                : outcome;
        final FullHttpResponse response;
        if (end.code() == RpcCode.OK) {
            final ByteBuf body = deferred.message();
            response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, meta.responseContentType());
            if (deferred.compressed()) {
                response.headers().set(HttpHeaderNames.CONTENT_ENCODING, meta.responseCompression().token());
            }
            if (meta.isGet()) {
                // A GET answer may be cached: a validator lets caches and browsers revalidate it.
                final CRC32C crc = new CRC32C();
                crc.update(body.nioBuffer());
                response.headers().set(HttpHeaderNames.ETAG, '"' + Long.toHexString(crc.getValue()) + '"');
                response.headers().set(HttpHeaderNames.VARY, HttpHeaderNames.ACCEPT_ENCODING);
            }
        } else {
            if (deferred.message() != null) {
                deferred.message().release();
            }
            response = new DefaultFullHttpResponse(
                    HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(end.code().httpStatus()),
                    ByteBufUtil.writeUtf8(alloc, ConnectJson.error(end, errorDetailTypes.get())));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        }
        final HttpHeaders headers = response.headers();
        headers.set(HttpHeaderNames.ACCEPT_ENCODING, Compression.SUPPORTED);
        MetadataMapper.forEachEntry(deferred.headers(), headers::add);
        MetadataMapper.forEachEntry(end.trailers(), (name, value) -> {
            // The error JSON carries the details; everything else is a trailer- header.
            if (end.code() == RpcCode.OK || !HeaderNames.GRPC_STATUS_DETAILS_BIN.contentEquals(name)) {
                headers.add(HeaderNames.TRAILER_PREFIX + name, value);
            }
        });
        HttpUtil.setContentLength(response, response.content().readableBytes());
        return response;
    }
}
