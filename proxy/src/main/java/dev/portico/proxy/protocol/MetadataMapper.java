package dev.portico.proxy.protocol;

import dev.portico.proxy.wire.HeaderNames;
import dev.portico.proxy.wire.ProtocolException;
import dev.portico.proxy.wire.RpcCode;
import io.grpc.Metadata;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps HTTP headers to gRPC metadata and back. Only the public {@link Metadata.Key} API is used.
 *
 * <p>PROTOCOL-HTTP2.md: {@code -bin} values are base64, padded or not, several joined by {@code ,};
 * names starting with {@code grpc-} are reserved for the protocol.
 */
public final class MetadataMapper {
    private static final Logger log = LoggerFactory.getLogger(MetadataMapper.class);

    /** HTTP-level request headers that mean nothing to the upstream, or that grpc-java sets itself. */
    private static final Set<AsciiString> DROPPED_REQUEST_HEADERS = Set.of(
            HttpHeaderNames.CONTENT_TYPE, HttpHeaderNames.USER_AGENT, HttpHeaderNames.ACCEPT,
            HttpHeaderNames.ACCEPT_ENCODING, HttpHeaderNames.EXPECT,
            HttpHeaderNames.ACCESS_CONTROL_REQUEST_HEADERS, HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD,
            HttpHeaderNames.CONTENT_ENCODING, HeaderNames.GRPC_TIMEOUT, HeaderNames.GRPC_ENCODING,
            HeaderNames.GRPC_ACCEPT_ENCODING, HeaderNames.X_GRPC_WEB, HeaderNames.CONNECT_PROTOCOL_VERSION,
            HeaderNames.CONNECT_TIMEOUT_MS, HeaderNames.CONNECT_CONTENT_ENCODING,
            HeaderNames.CONNECT_ACCEPT_ENCODING);

    /** Netty's HTTP/2-to-HTTP/1 conversion adds x-http2-scheme, x-http2-stream-id, ...: not client data. */
    private static final AsciiString HTTP2_EXTENSION_PREFIX = AsciiString.cached("x-http2-");

    /** Upstream metadata that Portico re-encodes itself, or that describes the upstream's own HTTP. */
    private static final Set<AsciiString> DROPPED_RESPONSE_METADATA = Set.of(
            HttpHeaderNames.CONTENT_TYPE, HeaderNames.GRPC_STATUS, HeaderNames.GRPC_MESSAGE,
            HeaderNames.GRPC_ENCODING, HeaderNames.GRPC_ACCEPT_ENCODING);

    private static final Base64.Encoder UNPADDED = Base64.getEncoder().withoutPadding();

    private MetadataMapper() {}

    /**
     * The request headers a client sent, as the metadata of the upstream call. Hop-by-hop and HTTP-only
     * headers are dropped; an invalid {@code -bin} value fails the call with INVALID_ARGUMENT.
     */
    public static Metadata toMetadata(HttpHeaders headers) throws ProtocolException {
        final Metadata metadata = new Metadata();
        final Set<AsciiString> namedByConnection = namedByConnection(headers);
        for (Map.Entry<String, String> header : headers) {
            final AsciiString name = AsciiString.of(header.getKey()).toLowerCase();
            if (name.length() == 0 || name.charAt(0) == ':' || HeaderNames.isHopByHop(name)
                || DROPPED_REQUEST_HEADERS.contains(name) || name.startsWith(HTTP2_EXTENSION_PREFIX)
                || namedByConnection.contains(name)) {
                continue;
            }
            final String key = name.toString();
            try {
                if (key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                    putBinary(metadata, key, header.getValue());
                } else {
                    metadata.put(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER),
                                 header.getValue());
                }
            } catch (IllegalArgumentException e) {
                // An HTTP header that gRPC cannot carry (a name outside [0-9a-z_.-]); the call goes on.
                log.debug("request header {} is not valid gRPC metadata and is not forwarded: {}",
                          key, e.getMessage());
            }
        }
        return metadata;
    }

    /** RFC 9110 section 7.6.1: the fields a Connection header names are for this hop only. */
    private static Set<AsciiString> namedByConnection(HttpHeaders headers) {
        final List<String> values = headers.getAll(HttpHeaderNames.CONNECTION);
        if (values.isEmpty()) {
            return Set.of();
        }
        final Set<AsciiString> names = new HashSet<>();
        for (String value : values) {
            for (String token : value.split(",")) {
                names.add(AsciiString.of(token.trim()).toLowerCase());
            }
        }
        return names;
    }

    private static void putBinary(Metadata metadata, String key, CharSequence value)
            throws ProtocolException {
        final Metadata.Key<byte[]> binaryKey = Metadata.Key.of(key, Metadata.BINARY_BYTE_MARSHALLER);
        for (String part : value.toString().split(",", -1)) {
            try {
                // The JDK decoder accepts padded and unpadded input alike, as the spec requires.
                metadata.put(binaryKey, Base64.getDecoder().decode(part.trim()));
            } catch (IllegalArgumentException e) {
                throw new ProtocolException(RpcCode.INVALID_ARGUMENT,
                                            "header " + key + " is not valid base64: " + e.getMessage(), e);
            }
        }
    }

    /**
     * Calls {@code sink} with every entry of upstream metadata that goes back to the client, as HTTP header
     * values: ASCII values as they are, binary values base64-encoded without padding.
     */
    public static void forEachEntry(Metadata metadata, BiConsumer<String, String> sink) {
        for (String key : metadata.keys()) {
            final String name = key.toLowerCase(Locale.ROOT);
            if (DROPPED_RESPONSE_METADATA.contains(AsciiString.of(name)) || HeaderNames.isHopByHop(name)) {
                continue;
            }
            if (name.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                final Iterable<byte[]> values = metadata.getAll(
                        Metadata.Key.of(name, Metadata.BINARY_BYTE_MARSHALLER));
                if (values != null) {
                    // PROTOCOL-HTTP2.md: "Implementations MUST accept padded and un-padded values and should
                    // emit un-padded values." Strict clients (connect-go) reject padded ones.
                    values.forEach(value -> sink.accept(name, UNPADDED.encodeToString(value)));
                }
            } else {
                final Iterable<String> values = metadata.getAll(
                        Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER));
                if (values != null) {
                    values.forEach(value -> sink.accept(name, value));
                }
            }
        }
    }
}
