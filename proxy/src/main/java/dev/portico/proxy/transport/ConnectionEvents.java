package dev.portico.proxy.transport;

/**
 * What the transport reports about client connections (to metrics). Called from any event loop; an
 * implementation must be thread-safe and must not block.
 */
public interface ConnectionEvents {
    /** A connection was accepted (whether it is then kept or rejected). */
    void accepted();

    /** An accepted connection was closed at once, over a connection limit ({@code reason} says which). */
    void rejected(CloseReason reason);

    /** A kept connection showed which HTTP version it speaks (once per connection). */
    void negotiated(ConnectionVersion version);

    /** A connection that was kept has closed; {@code version} is null if it never showed one. */
    void closed(CloseReason reason, ConnectionVersion version);

    /** Accepting a connection failed (for example EMFILE, too many open files). */
    void acceptFailed();

    /** A timeout ended a connection (HTTP/1.1, HTTP/2) or a stream (HTTP/2 request body). */
    void timedOut(TimeoutKind kind);
}
