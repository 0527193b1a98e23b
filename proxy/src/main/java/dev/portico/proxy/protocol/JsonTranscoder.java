package dev.portico.proxy.protocol;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.portico.proxy.schema.MethodSchema;
import dev.portico.proxy.wire.ProtocolException;
import dev.portico.proxy.wire.RpcCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Converts one method's messages between the canonical proto3 JSON mapping and protobuf binary, with the
 * method's schema (DynamicMessage: Portico has no generated code for upstream services). Immutable.
 */
public final class JsonTranscoder {
    private final MethodSchema schema;
    private final JsonFormat.Parser parser;
    private final JsonFormat.Printer printer;

    public JsonTranscoder(MethodSchema schema, boolean rejectUnknownFields) {
        this.schema = requireNonNull(schema, "schema");
        final JsonFormat.Parser base = JsonFormat.parser().usingTypeRegistry(schema.types());
        this.parser = rejectUnknownFields ? base : base.ignoringUnknownFields();
        this.printer = JsonFormat.printer().usingTypeRegistry(schema.types()).omittingInsignificantWhitespace();
    }

    /** A request message: JSON in (ownership taken), binary out (caller releases). */
    public ByteBuf toBinary(ByteBuf json) throws ProtocolException {
        final DynamicMessage.Builder message = DynamicMessage.newBuilder(schema.input());
        try (InputStreamReader reader = new InputStreamReader(new ByteBufInputStream(json, true),
                                                              StandardCharsets.UTF_8)) {
            parser.merge(reader, message);
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            // JsonFormat reports malformed JSON, wrong types and unknown fields alike.
            throw new ProtocolException(RpcCode.INVALID_ARGUMENT,
                                        "invalid JSON for " + schema.input().getFullName() + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ProtocolException(RpcCode.INTERNAL, "reading a JSON message failed", e);
        }
        return Unpooled.wrappedBuffer(message.build().toByteArray());
    }

    /** A response message: binary in (ownership taken), JSON out (caller releases). */
    public ByteBuf toJson(ByteBufAllocator alloc, ByteBuf binary) throws ProtocolException {
        try (ByteBufInputStream in = new ByteBufInputStream(binary, true)) {
            final DynamicMessage message = DynamicMessage.parseFrom(schema.output(), in);
            return ByteBufUtil.writeUtf8(alloc, printer.print(message));
        } catch (IOException e) {
            throw new ProtocolException(RpcCode.INTERNAL, "the upstream's " + schema.output().getFullName()
                                                          + " message does not match its schema: " + e.getMessage(), e);
        }
    }
}
