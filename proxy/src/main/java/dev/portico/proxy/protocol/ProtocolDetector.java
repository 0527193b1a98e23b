package dev.portico.proxy.protocol;

import dev.portico.proxy.wire.MediaType;
import java.util.Optional;

/** Decides, once per request, which client protocol a request speaks, from its parsed content type. */
public final class ProtocolDetector {
    private ProtocolDetector() {}

    /** The protocol for a POST with this content type, or empty when Portico does not speak it (415). */
    public static Optional<ClientProtocol> detect(MediaType contentType) {
        if (!"application".equalsIgnoreCase(contentType.type())) {
            return Optional.empty();
        }
        final String suffix = contentType.suffix();
        // Only the protobuf codec is passed through: bare or "+proto".
        if (!suffix.isEmpty() && !"proto".equalsIgnoreCase(suffix)) {
            return Optional.empty();
        }
        return switch (contentType.subtype().toLowerCase(java.util.Locale.ROOT)) {
            case "grpc-web-text" -> Optional.of(GrpcProtocol.WEB_TEXT);
            case "grpc-web" -> Optional.of(GrpcProtocol.WEB);
            case "grpc" -> Optional.of(GrpcProtocol.NATIVE);
            default -> Optional.empty();
        };
    }
}
