package dev.portico.proxy.protocol;

import dev.portico.proxy.schema.RpcKind;
import dev.portico.proxy.wire.BodyEncoding;
import dev.portico.proxy.wire.Deframer;
import dev.portico.proxy.wire.EnvelopeFormat;
import dev.portico.proxy.wire.MediaType;
import dev.portico.proxy.wire.MessageDeframer;
import dev.portico.proxy.wire.MessageFramer;
import dev.portico.proxy.wire.ProtocolException;
import io.grpc.Metadata;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import java.util.Optional;

/**
 * A protocol a client speaks to Portico, translated to and from a native gRPC call.
 *
 * <p>Implementations are immutable and safe on any thread; per-call state lives in the call. Framing goes
 * through the shared {@code MessageFramer} and deframers: a protocol only names its envelope, its body
 * encoding and its headers. Codecs (JSON) and compression are applied by the call, the same for all.
 */
public sealed interface ClientProtocol permits GrpcProtocol, ConnectUnaryProtocol, ConnectStreamProtocol {

    /** The protocol's name in logs and the {@code protocol} metric tag. */
    String tag();

    /** How the (decoded) request body becomes messages. */
    Deframer newDeframer(ByteBufAllocator alloc, RequestMeta meta, int maxMessageBytes,
                         MessageDeframer.Listener listener);

    /** How the enveloped body is encoded on the wire, in both directions. */
    BodyEncoding bodyEncoding();

    /** Reads the request head: method, deadline, metadata, codec, compression, response content type. */
    RequestMeta parseRequest(HttpRequest request, MediaType contentType) throws ProtocolException;

    /** Whether the response head waits for the call's end, because the outcome decides it (Connect unary). */
    boolean defersHead();

    /** The response head sent when the upstream's headers arrive (protocols that do not defer it). */
    HttpResponse responseHead(RequestMeta meta, Metadata upstreamHeaders);

    /** One response message as a body piece. Takes ownership of {@code message}; caller releases the result. */
    ByteBuf encodeMessage(ByteBufAllocator alloc, ByteBuf message, boolean compressed);

    /**
     * The envelope when {@link #encodeMessage}'s piece is exactly {@link MessageFramer#frame} of the message
     * (no body encoding), so that the caller may frame messages straight into a batch buffer of its own with
     * {@link MessageFramer#frameInto}; null when the piece is anything else.
     */
    default EnvelopeFormat plainEnvelope() {
        return null;
    }

    /**
     * The last thing written for a call: a whole response when no head was sent, else the final content.
     * {@code deferred} is what a head-deferring protocol collected (null otherwise); this takes ownership of
     * its message. The caller must release (write) the result.
     */
    HttpObject encodeEnd(ByteBufAllocator alloc, RequestMeta meta, CallOutcome outcome, boolean headSent,
                         DeferredResponse deferred);

    /**
     * Checks that this protocol may call a method of {@code kind} (known from its schema): the gRPC family
     * carries every kind; Connect has a unary protocol for unary methods and a streaming one for the others.
     *
     * @throws ProtocolException UNIMPLEMENTED, saying which protocol the method needs
     */
    default void checkKind(String fullMethodName, RpcKind kind) throws ProtocolException {
    }

    /**
     * The answer to a request whose path is not {@code /package.Service/Method}, when the protocol has one
     * of its own; empty: the path is refused like any other bad head. The caller must release (write) it.
     */
    default Optional<FullHttpResponse> pathNotFound(ByteBufAllocator alloc, String message) {
        return Optional.empty();
    }
}
