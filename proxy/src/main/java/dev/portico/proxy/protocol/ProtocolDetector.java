package dev.portico.proxy.protocol;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.TypeRegistry;
import dev.portico.config.ConnectSettings;
import dev.portico.proxy.wire.MediaType;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Decides, once per request, which client protocol a request speaks: from a POST's content type, or for a
 * GET from its query (Connect GET). Immutable and thread-safe.
 */
public final class ProtocolDetector {
    private final ConnectUnaryProtocol connectUnary;
    private final ConnectStreamProtocol connectStream;

    public ProtocolDetector(ConnectSettings connect, Supplier<TypeRegistry> errorDetailTypes) {
        requireNonNull(connect, "connect");
        this.connectUnary = new ConnectUnaryProtocol(connect, errorDetailTypes);
        this.connectStream = new ConnectStreamProtocol(errorDetailTypes);
    }

    /** The protocol of a POST with this content type, or empty when Portico does not speak it (415). */
    public Optional<ClientProtocol> detectPost(MediaType contentType) {
        if (!"application".equalsIgnoreCase(contentType.type())) {
            return Optional.empty();
        }
        final String subtype = contentType.subtype().toLowerCase(Locale.ROOT);
        final String suffix = contentType.suffix();
        if (subtype.equals("proto") || subtype.equals("json")) {
            return suffix.isEmpty() ? Optional.of(connectUnary) : Optional.empty();
        }
        if (Codec.named(suffix) == null) {
            return Optional.empty(); // application/grpc-web+xml and the like: a codec Portico cannot transcode.
        }
        return switch (subtype) {
            case "grpc-web-text" -> Optional.of(GrpcProtocol.WEB_TEXT);
            case "grpc-web" -> Optional.of(GrpcProtocol.WEB);
            case "grpc" -> Optional.of(GrpcProtocol.NATIVE);
            case "connect" -> suffix.isEmpty() ? Optional.empty() : Optional.of(connectStream);
            default -> Optional.empty();
        };
    }

    /** Connect unary for a GET whose query names a message encoding (or {@code connect=v1}); else empty. */
    public Optional<ClientProtocol> detectGet(String uri) {
        final QueryStringDecoder query = new QueryStringDecoder(uri);
        try {
            final var params = query.parameters();
            return params.containsKey("encoding") || params.containsKey("connect")
                   ? Optional.of(connectUnary) : Optional.empty();
        } catch (IllegalArgumentException e) {
            // A malformed escape (%9): only Connect GETs carry queries, so answer it as one, which reports
            // the bad query as invalid_argument.
            return Optional.of(connectUnary);
        }
    }

    /** Whether a request URI's path has the form {@code /package.Service/Method}. */
    public static boolean namesAMethod(String uri) {
        return RequestHeads.isMethodPath(uri);
    }

    /** Why a path that {@link #namesAMethod} refuses names no method, for the client. */
    public static String malformedPathMessage(String uri) {
        return RequestHeads.malformedPathMessage(uri);
    }

    /** The content types Portico accepts, for a 415's reason. */
    public static String accepted() {
        return "application/grpc-web(-text)(+proto|+json), application/connect+proto|json, "
               + "application/proto, application/json and, over HTTP/2, application/grpc(+proto|+json)";
    }
}
