package dev.portico.config;

/**
 * Buffering thresholds that turn into backpressure ({@code portico.flow-control}). All values are positive
 * and {@code writeBufferLowWaterMark <= writeBufferHighWaterMark}.
 *
 * @param writeBufferLowWaterMark  Netty {@code WriteBufferWaterMark} low: a channel becomes writable again
 * @param writeBufferHighWaterMark Netty {@code WriteBufferWaterMark} high: a channel stops being writable
 * @param http2InitialWindowBytes  HTTP/2 SETTINGS_INITIAL_WINDOW_SIZE advertised to clients (at most 2^31-1)
 * @param http2ConnectionWindowBytes HTTP/2 connection-level receive window, shared by all of a connection's
 *                                   streams (at least the protocol's initial 65,535 bytes)
 */
public record FlowControlSettings(int writeBufferLowWaterMark, int writeBufferHighWaterMark,
                                  int http2InitialWindowBytes, int http2ConnectionWindowBytes) {
}
