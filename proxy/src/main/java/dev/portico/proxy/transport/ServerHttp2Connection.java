package dev.portico.proxy.transport;

import io.netty.handler.codec.http2.DefaultHttp2Connection;

/**
 * Netty's HTTP/2 connection state, which also knows the client streams reset before Netty created them.
 *
 * <p>Netty creates a stream only once its HEADERS were decoded and accepted. A stream whose HEADERS it
 * rejected (a connection-specific header field, RFC 9113 section 8.2.2) or refused never existed for it, so the
 * DATA right behind those HEADERS would name "a stream that does not exist" and end the whole connection with
 * PROTOCOL_ERROR. But such a stream is no longer idle (RFC 9113 section 5.1): it is closed, and frames on it
 * are a matter for that stream alone. Confined to the connection's event loop.
 */
final class ServerHttp2Connection extends DefaultHttp2Connection {
    /** The highest client stream id reset before it was created, or 0. */
    private int highestResetUncreated;

    ServerHttp2Connection() {
        super(true);
    }

    /** The client's stream {@code streamId} is being reset although Netty never created it. */
    void resetUncreated(int streamId) {
        highestResetUncreated = Math.max(highestResetUncreated, streamId);
    }

    @Override
    public boolean streamMayHaveExisted(int streamId) {
        return super.streamMayHaveExisted(streamId)
               || remote().isValidStreamId(streamId) && streamId <= highestResetUncreated;
    }
}
