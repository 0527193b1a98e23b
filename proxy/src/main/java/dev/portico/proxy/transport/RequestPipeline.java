package dev.portico.proxy.transport;

import io.netty.channel.ChannelPipeline;

/**
 * Where requests go, the same for both HTTP versions: the handlers after an HTTP/1.1 connection's codec
 * (they see {@code HttpObject}s), and a listener per HTTP/2 stream (see {@link Http2Streams}).
 */
public interface RequestPipeline {
    /** Adds the request handlers to an HTTP/1.1 connection's pipeline. */
    void addTo(ChannelPipeline pipeline);

    /** The listener that serves one HTTP/2 stream's request. */
    ExchangeListener open(CallExchange stream);
}
