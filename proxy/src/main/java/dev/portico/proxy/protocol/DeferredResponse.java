package dev.portico.proxy.protocol;

import io.grpc.Metadata;
import io.netty.buffer.ByteBuf;

/**
 * What a protocol whose head waits for the call's end (Connect unary) collected meanwhile: the upstream's
 * headers and its one response message, encoded for the client.
 *
 * @param headers the upstream's response headers (empty when none arrived)
 * @param message the response message, or null; owned by whoever writes or releases it
 * @param compressed whether {@code message} is compressed with the call's response compression
 */
public record DeferredResponse(Metadata headers, ByteBuf message, boolean compressed) {}
