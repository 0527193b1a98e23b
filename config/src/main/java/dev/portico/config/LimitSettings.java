package dev.portico.config;

import static java.util.Objects.requireNonNull;

/**
 * Size limits that bound per-connection and per-call memory ({@code portico.limits}). All values are positive.
 *
 * @param maxMessageBytes      largest single gRPC/Connect message, after decompression, in either direction
 * @param maxHeaderListBytes   HTTP/2 SETTINGS_MAX_HEADER_LIST_SIZE, and the HTTP/1.1 header block limit
 * @param maxInitialLineBytes  longest HTTP/1.1 request line
 * @param maxConcurrentStreams HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS per client connection
 * @param maxRequestBodyBytes  bound for a body Portico must hold whole (the HTTP/1.1 h2c upgrade request)
 * @param maxCallsInFlight     calls proxied at once across the process; more are shed at once
 * @param resetFlood           bounds on HTTP/2 stream resets per connection and per client IP
 */
public record LimitSettings(int maxMessageBytes, int maxHeaderListBytes, int maxInitialLineBytes,
                            int maxConcurrentStreams, int maxRequestBodyBytes, int maxCallsInFlight,
                            ResetFloodSettings resetFlood) {

    public LimitSettings {
        requireNonNull(resetFlood, "resetFlood");
    }
}
