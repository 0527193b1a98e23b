package dev.portico.proxy.observe;

import static java.util.Objects.requireNonNull;

import dev.portico.proxy.call.CallObserver;
import dev.portico.proxy.transport.CallExchange;
import dev.portico.proxy.transport.ExchangeListener;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * One HTTP/2 stream as the access log and tracing see it: it stands between the stream and the listener
 * that serves its request, and tells an {@link ExchangeTracker} what passes each way, as
 * {@link ExchangeHandler} does on an HTTP/1.1 connection. Every answer on a stream (a call's, a CORS
 * preflight's, a refusal) is written through its {@link CallExchange}, so none is missed. The stream's
 * exchange ends, at the latest, when the stream closes or is reset. Confined to the connection's event loop.
 */
public final class ObservedStream implements CallExchange, ExchangeListener {
    private static final String HTTP_VERSION = "HTTP/2.0";

    private final CallExchange stream;
    private final ExchangeTracker exchanges;
    private ExchangeListener listener;

    private ObservedStream(CallExchange stream, ExchangeTracker exchanges) {
        this.stream = stream;
        this.exchanges = exchanges;
    }

    /**
     * Observes {@code stream}, served by the listener {@code server} makes of the observed stream and the
     * observer of its call; returns the listener for the transport to feed.
     */
    public static ExchangeListener open(
            CallExchange stream, AccessLog accessLog, Tracing tracing,
            BiFunction<CallExchange, Supplier<CallObserver>, ExchangeListener> server) {
        final ObservedStream observed = new ObservedStream(requireNonNull(stream, "stream"),
                                                           new ExchangeTracker(accessLog, tracing));
        observed.listener = requireNonNull(server.apply(observed, observed.exchanges), "listener");
        return observed;
    }

    @Override
    public void onRequestHead(HttpRequest head) {
        exchanges.requestHead(stream.connection().remoteAddress(), head, HTTP_VERSION);
        listener.onRequestHead(head);
    }

    @Override
    public void onRequestContent(ByteBuf content, boolean last) {
        exchanges.requestBody(content.readableBytes(), last);
        listener.onRequestContent(content, last);
    }

    @Override
    public void onRequestDropped(int bytes, boolean last) {
        exchanges.requestBody(bytes, last);
        listener.onRequestDropped(bytes, last);
    }

    @Override
    public void onWritabilityChanged() {
        listener.onWritabilityChanged();
    }

    @Override
    public void beforeResponseHead(HttpResponse head) {
        listener.beforeResponseHead(head);
    }

    @Override
    public void onReset() {
        // The listener (the call) learns first, so that a cancelled call has its code.
        listener.onReset();
        exchanges.closed();
    }

    @Override
    public void write(HttpObject msg) {
        // A response's end goes through writeEnd; were one written here, the stream's close would end it.
        exchanges.responsePart(msg);
        stream.write(msg);
    }

    @Override
    public ChannelFuture writeEnd(HttpObject msg) {
        final boolean last = exchanges.responsePart(msg);
        final ChannelFuture written = stream.writeEnd(msg);
        if (last) {
            exchanges.responseEnd(written);
        }
        return written;
    }

    @Override
    public Channel connection() {
        return stream.connection();
    }

    @Override
    public EventLoop eventLoop() {
        return stream.eventLoop();
    }

    @Override
    public ByteBufAllocator alloc() {
        return stream.alloc();
    }

    @Override
    public boolean isHttp2() {
        return stream.isHttp2();
    }

    @Override
    public void flush() {
        stream.flush();
    }

    @Override
    public void read() {
        stream.read();
    }

    @Override
    public boolean isWritable() {
        return stream.isWritable();
    }

    @Override
    public void close() {
        stream.close();
    }
}
