package dev.portico.proxy.transport;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;

/** What a transport tells the request layer about one {@link CallExchange}; called on its event loop. */
public interface ExchangeListener {
    /** The request's head; its body (or only its end) follows on {@link CallExchange#read()}. */
    void onRequestHead(HttpRequest head);

    /** Takes ownership of {@code content}: body bytes, {@code last} for the final piece. */
    void onRequestContent(ByteBuf content, boolean last);

    /**
     * Body bytes ({@code last} for the final piece) that the response's end left unread, dropped by the
     * exchange: for those who count what the client sent, as an HTTP/1.1 connection reads and drops them.
     */
    default void onRequestDropped(int bytes, boolean last) {}

    /** {@link CallExchange#isWritable()} may have changed. */
    void onWritabilityChanged();

    /** A response head is about to be written: the last moment to add headers to it (CORS). */
    void beforeResponseHead(HttpResponse head);

    /** The client reset the stream, or the connection is gone: nothing more will be written. */
    void onReset();
}
