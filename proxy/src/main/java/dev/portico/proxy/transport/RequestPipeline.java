package dev.portico.proxy.transport;

import io.netty.channel.ChannelPipeline;

/**
 * Adds the handlers that serve requests, the same for an HTTP/1.1 connection and an HTTP/2 stream, after
 * the HTTP codec. They see only {@code HttpObject}s, so one request path serves both HTTP versions.
 */
@FunctionalInterface
public interface RequestPipeline {
    void addTo(ChannelPipeline pipeline);
}
