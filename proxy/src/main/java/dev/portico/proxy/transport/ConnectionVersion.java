package dev.portico.proxy.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.AttributeKey;

/**
 * The HTTP version a client connection speaks, as the {@code http_version} metric tag names it. It is known
 * once the connection shows it: HTTP/2 when its codec is installed (prior knowledge, {@code Upgrade: h2c},
 * ALPN {@code h2}), HTTP/1.1 at its first request on an HTTP/1.1 pipeline ({@link Http1Mark}). A connection
 * that closes before either (over a limit, a failed TLS handshake, nothing sent) has none.
 */
public enum ConnectionVersion {
    HTTP1_1("http1.1"),
    H2("h2");

    private static final AttributeKey<ConnectionVersion> ATTRIBUTE =
            AttributeKey.valueOf(ConnectionVersion.class, "version");

    private final String tag;

    ConnectionVersion(String tag) {
        this.tag = tag;
    }

    public String tag() {
        return tag;
    }

    /** The version {@code connection} showed, or null if none yet. Readable after it closed. */
    public static ConnectionVersion of(Channel connection) {
        return connection.attr(ATTRIBUTE).get();
    }

    /** {@code connection} turned out to speak this version; reported once, the first version shown. */
    void mark(Channel connection, ConnectionEvents events) {
        if (connection.attr(ATTRIBUTE).setIfAbsent(this) == null) {
            events.negotiated(this);
        }
    }

    /** On an HTTP/1.1 pipeline: marks the connection HTTP/1.1 at its first request, then leaves. */
    static final class Http1Mark extends ChannelInboundHandlerAdapter {
        private final ConnectionEvents events;

        Http1Mark(ConnectionEvents events) {
            this.events = events;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest) {
                HTTP1_1.mark(ctx.channel(), events);
                ctx.pipeline().remove(this);
            }
            ctx.fireChannelRead(msg);
        }
    }
}
