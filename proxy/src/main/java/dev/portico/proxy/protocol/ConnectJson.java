package dev.portico.proxy.protocol;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.TypeRegistry;
import com.google.protobuf.util.JsonFormat;
import dev.portico.proxy.wire.HeaderNames;
import dev.portico.proxy.wire.RpcCode;
import io.grpc.Metadata;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Connect protocol's JSON documents: the error body of a unary call and the EndStreamResponse that
 * ends a stream (connectrpc.com/docs/protocol). Error details come from the upstream's
 * {@code grpc-status-details-bin} (a serialised {@code google.rpc.Status}).
 */
final class ConnectJson {
    private static final Logger log = LoggerFactory.getLogger(ConnectJson.class);
    static final Metadata.Key<byte[]> STATUS_DETAILS =
            Metadata.Key.of(HeaderNames.GRPC_STATUS_DETAILS_BIN.toString(), Metadata.BINARY_BYTE_MARSHALLER);

    private ConnectJson() {}

    /** {@code {"code": "not_found", "message": "...", "details": [...]}} for a failed call. */
    static String error(CallOutcome outcome, TypeRegistry types) {
        return errorObject(outcome, types).toString();
    }

    /**
     * HTTP 404 with the {@code unimplemented} error JSON: what Connect servers answer for a path that is not
     * {@code /package.Service/Method} (501 stays for a well-formed path to an unknown method). The caller
     * must release (write) the result.
     */
    static FullHttpResponse pathNotFound(ByteBufAllocator alloc, String message) {
        final FullHttpResponse response = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_FOUND, ByteBufUtil.writeUtf8(
                        alloc, error(CallOutcome.local(RpcCode.UNIMPLEMENTED, message),
                                     TypeRegistry.getEmptyTypeRegistry())));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        HttpUtil.setContentLength(response, response.content().readableBytes());
        return response;
    }

    /** {@code {"error": {...}, "metadata": {"name": ["value"]}}}; the error only when the call failed. */
    static String endStream(CallOutcome outcome, TypeRegistry types) {
        final JsonObject end = new JsonObject();
        if (outcome.code() != RpcCode.OK) {
            end.add("error", errorObject(outcome, types));
        }
        final JsonObject metadata = new JsonObject();
        MetadataMapper.forEachEntry(outcome.trailers(), (name, value) -> {
            if (!HeaderNames.GRPC_STATUS_DETAILS_BIN.contentEquals(name)) {
                if (!metadata.has(name)) {
                    metadata.add(name, new JsonArray());
                }
                metadata.getAsJsonArray(name).add(value);
            }
        });
        if (!metadata.isEmpty()) {
            end.add("metadata", metadata);
        }
        return end.toString();
    }

    private static JsonObject errorObject(CallOutcome outcome, TypeRegistry types) {
        final JsonObject error = new JsonObject();
        error.addProperty("code", outcome.code().connectName());
        if (!outcome.message().isEmpty()) {
            error.addProperty("message", outcome.message());
        }
        final byte[] details = outcome.trailers().get(STATUS_DETAILS);
        if (details != null) {
            final JsonArray array = details(details, types);
            if (!array.isEmpty()) {
                error.add("details", array);
            }
        }
        return error;
    }

    private static JsonArray details(byte[] statusDetails, TypeRegistry types) {
        final JsonArray array = new JsonArray();
        final com.google.rpc.Status status;
        try {
            status = com.google.rpc.Status.parseFrom(statusDetails);
        } catch (InvalidProtocolBufferException e) {
            log.warn("the upstream's grpc-status-details-bin is not a google.rpc.Status: {}", e.getMessage());
            return array;
        }
        final JsonFormat.Printer printer = JsonFormat.printer().usingTypeRegistry(types)
                                                     .omittingInsignificantWhitespace();
        for (Any any : status.getDetailsList()) {
            final JsonObject detail = new JsonObject();
            final String typeUrl = any.getTypeUrl();
            detail.addProperty("type", typeUrl.substring(typeUrl.lastIndexOf('/') + 1));
            // The Connect spec: standard base64 without padding.
            detail.addProperty("value", Base64.getEncoder().withoutPadding().encodeToString(any.getValue().toByteArray()));
            try {
                // "debug" is for humans; clients ignore it. It needs the detail's type to be known.
                final String json = printer.print(any);
                final JsonObject debug = JsonParser.parseString(json).getAsJsonObject();
                debug.remove("@type");
                detail.add("debug", debug);
            } catch (InvalidProtocolBufferException e) {
                log.debug("no debug JSON for error detail {}: {}", typeUrl, e.getMessage());
            }
            array.add(detail);
        }
        return array;
    }
}
