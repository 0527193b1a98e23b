package dev.portico.proxy.protocol;

import dev.portico.proxy.wire.BodyEncoding;
import dev.portico.proxy.wire.EnvelopeFormat;
import dev.portico.proxy.wire.MediaType;
import dev.portico.proxy.wire.ProtocolException;
import io.grpc.Metadata;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;

/**
 * A protocol a client speaks to Portico, translated to and from a native gRPC call.
 *
 * <p>Implementations are stateless singletons, safe on any thread; per-call state lives in the call.
 * Framing goes through the shared {@code MessageFramer} and {@code MessageDeframer}: a protocol only names
 * its {@link EnvelopeFormat} and {@link BodyEncoding}.
 */
public sealed interface ClientProtocol permits GrpcProtocol {

    /** The protocol's name in logs and the {@code protocol} metric tag. */
    String tag();

    /** How request and response messages are enveloped. */
    EnvelopeFormat envelope();

    /** How the enveloped body is encoded on the wire, in both directions. */
    BodyEncoding bodyEncoding();

    /** Reads the request head: method, deadline, metadata, response content type. */
    RequestMeta parseRequest(HttpRequest request, MediaType contentType) throws ProtocolException;

    /** The response head sent when the upstream's headers arrive. */
    HttpResponse responseHead(RequestMeta meta, Metadata upstreamHeaders);

    /** Takes ownership of {@code message}; the caller must release (write) the returned buffer. */
    ByteBuf encodeMessage(ByteBufAllocator alloc, ByteBuf message);

    /**
     * The last thing written for a call: a whole response when no head was sent (trailers-only), else the
     * final content. The caller must release (write) the result.
     */
    HttpObject encodeEnd(ByteBufAllocator alloc, RequestMeta meta, CallOutcome outcome, boolean headSent);
}
