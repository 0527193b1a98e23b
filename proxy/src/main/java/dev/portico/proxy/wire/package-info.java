/**
 * The wire vocabulary shared by every client protocol: envelopes ({@link dev.portico.proxy.wire.MessageFramer},
 * {@link dev.portico.proxy.wire.MessageDeframer}), gRPC-Web text ({@link dev.portico.proxy.wire.BodyEncoding},
 * {@link dev.portico.proxy.wire.Base64StreamDecoder}), trailer blocks, timeouts, status codes and header names.
 *
 * <p>This package is pure: it depends on Netty's buffer and header types only, never on grpc-java or on
 * {@code Channel}s, so every type here can be unit-tested byte by byte. Parsers throw
 * {@link dev.portico.proxy.wire.ProtocolException} carrying the
 * {@link dev.portico.proxy.wire.RpcCode} the client is to receive. The stateful types (the deframer and the
 * base64 decoder) are not thread-safe: each instance belongs to one call and so to one event loop. The rest
 * is stateless.
 *
 * <p>Spec references in comments: {@code PROTOCOL-HTTP2.md} and {@code PROTOCOL-WEB.md} are gRPC's protocol
 * documents, {@code http-grpc-status-mapping.md} gRPC's HTTP status table, and "Connect spec" the Connect
 * protocol document.
 */
package dev.portico.proxy.wire;
