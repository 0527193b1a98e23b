package dev.portico.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;

/**
 * gRPC-Web over WebSocket ({@code portico.websocket}): improbable-eng's {@code grpc-websockets} subprotocol on
 * an HTTP/1.1 upgrade, one call per WebSocket.
 *
 * @param enabled        whether upgrades with the {@code grpc-websockets} subprotocol are taken at all
 * @param maxFrameBytes  the largest WebSocket frame a client may send (payload bytes)
 * @param allowedOrigins the browser origins allowed to open one, in the form of
 *                       {@link CorsSettings#allowedOrigins()} (the CORS list unless configured apart)
 * @param closeTimeout   how long Portico waits for the client's close frame after sending its own, before it
 *                       closes the connection anyway
 */
public record WebSocketSettings(boolean enabled, int maxFrameBytes, List<String> allowedOrigins,
                                Duration closeTimeout) {

    public WebSocketSettings {
        allowedOrigins = List.copyOf(allowedOrigins);
        requireNonNull(closeTimeout, "closeTimeout");
    }
}
