package dev.portico.config;

/**
 * When responses are compressed ({@code portico.compression}).
 *
 * @param responseMinBytes 0 or more; a response message smaller than this is sent uncompressed even when the
 *                         client accepts gzip, because compressing it would cost more than it saves. 0
 *                         compresses every response message the client accepts compressed.
 */
public record CompressionSettings(int responseMinBytes) {
}
