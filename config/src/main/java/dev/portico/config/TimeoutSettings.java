package dev.portico.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How long a client connection may keep Portico waiting ({@code portico.listen.timeouts}). Each is positive,
 * or zero for "never". None of them ends a call whose request is complete: a quiet server stream, or an
 * HTTP/2 stream between messages, is ended only by its own deadline.
 *
 * @param requestHead     from a connection's opening until the first request head (HTTP/1.1) or HEADERS
 *                        frame (HTTP/2) is complete
 * @param idle            how long a connection with no call in flight stays open: HTTP/1.1 between a
 *                        response and the next request's complete head, HTTP/2 while no stream is open
 * @param requestBodyIdle longest wait for the next body bytes while Portico is asking for them, for a body
 *                        Portico must have whole (HTTP/1.1 requests, Connect unary POST)
 * @param requestBody     total time such a body may take, counting only the time Portico was asking for it
 */
public record TimeoutSettings(Duration requestHead, Duration idle, Duration requestBodyIdle,
                              Duration requestBody) {

    public TimeoutSettings {
        requireNonNull(requestHead, "requestHead");
        requireNonNull(idle, "idle");
        requireNonNull(requestBodyIdle, "requestBodyIdle");
        requireNonNull(requestBody, "requestBody");
    }
}
