package dev.portico.config;

/**
 * What Portico tells clients about failures it did not choose ({@code portico.errors}).
 *
 * @param exposeUpstreamDetails whether messages about upstream failures that grpc-java found itself
 *                              (connection refused, TLS, protocol errors) reach the client with the
 *                              upstream's address and grpc-java's wording; otherwise they go to the log only
 */
public record ErrorSettings(boolean exposeUpstreamDetails) {
}
