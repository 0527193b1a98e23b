package dev.portico.proxy.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * One client stream of an HTTP/2 connection, as a {@link CallExchange}: a small object owned by the
 * connection's event loop (no channel, no pipeline). {@link Http2Streams} hands it the stream's frames, and
 * it writes through the connection's {@link Http2ServerHandler}.
 *
 * <p><b>Flow control:</b> body frames wait here until the call reads them, one per {@link #read()}, and
 * their bytes go back to the client's window only then, so a client can send no further ahead than the
 * stream window while the upstream is not taking its messages. Writability is the stream's own: its
 * window and the connection's write buffer ({@link io.netty.handler.codec.http2.Http2RemoteFlowController}).
 *
 * <p><b>After the response:</b> what is left of the request body is dropped as it comes, and the client is
 * asked to stop sending it with RST_STREAM(NO_ERROR) after a moment (RFC 9113 §8.1).
 */
final class Http2Exchange implements CallExchange {
    /** How long an answered stream may go on sending before it is asked to stop. */
    private static final long UNENDED_STREAM_RESET_MILLIS = 1000;
    /** Past this many bytes dropped after the response, the stream is reset (CANCEL). */
    private static final long MAX_DISCARDED_BYTES = 1 << 20;

    /** A piece of the request body: bytes (or an empty end) and how much of the window they hold. */
    private record Piece(ByteBuf content, boolean last, int windowBytes) {}

    private final Http2ServerHandler handler;
    private final int id;
    private final TimeoutPolicy timeouts;
    private ExchangeListener listener;
    private final ArrayDeque<Piece> pending = new ArrayDeque<>(2);
    /** The call asked for a piece that has not arrived. */
    private boolean readWanted;
    private boolean delivering;
    private boolean requestEnded;
    /** The response's end was written: the rest of the request is dropped. */
    private boolean answered;
    private long discarded;
    /** Reset by either side, or closed: nothing more is read or written. */
    private boolean done;
    /** Times a body the call must have whole (Connect unary), when the policy says so. */
    private BodyClock bodyClock;
    private ExpiryTimer bodyTimer;

    Http2Exchange(Http2ServerHandler handler, int id, TimeoutPolicy timeouts) {
        this.handler = handler;
        this.id = id;
        this.timeouts = timeouts;
    }

    /** The request head arrived; {@code listener} takes the exchange from here. */
    void open(ExchangeListener requestListener, HttpRequest head, boolean ended) {
        this.listener = requestListener;
        requestEnded = ended;
        if (!ended && timeouts.timesBodies() && timeouts.wholeBodyOverHttp2().test(head)) {
            bodyClock = new BodyClock(timeouts);
            bodyTimer = new ExpiryTimer(eventLoop(), bodyClock::deadline, this::bodyExpired);
        }
        if (ended) {
            // The call hears of the body's end as of any piece of it: when it reads.
            pending.add(new Piece(Unpooled.EMPTY_BUFFER, true, 0));
        }
        listener.onRequestHead(head);
    }

    /** Takes ownership of {@code content}; {@code windowBytes} are what it holds of the stream window. */
    void onData(ByteBuf content, boolean last, int windowBytes) {
        if (last) {
            requestEnded = true;
        }
        if (done || answered) {
            discarded += content.readableBytes();
            if (!done) {
                listener.onRequestDropped(content.readableBytes(), last);
            }
            content.release();
            returnWindow(windowBytes);
            if (discarded > MAX_DISCARDED_BYTES) {
                close(); // Reading on would only waste the connection.
            }
            return;
        }
        pending.add(new Piece(content, last, windowBytes));
        deliver();
    }

    @Override
    public void read() {
        if (done || answered) {
            return;
        }
        readWanted = true;
        if (bodyClock != null && bodyClock.readAsked()) {
            bodyTimer.update();
        }
        deliver();
    }

    private void deliver() {
        if (delivering) {
            return; // The call asked again from within onRequestContent: the loop below goes on.
        }
        delivering = true;
        try {
            while (readWanted && !done && !pending.isEmpty()) {
                readWanted = false;
                final Piece piece = pending.poll();
                if (bodyClock != null) {
                    bodyClock.bytesArrived();
                    if (piece.last()) {
                        bodyTimer.cancel();
                    }
                }
                returnWindow(piece.windowBytes());
                listener.onRequestContent(piece.content(), piece.last());
            }
        } finally {
            delivering = false;
        }
    }

    private void returnWindow(int bytes) {
        if (bytes > 0 && !done) {
            handler.returnWindow(id, bytes);
        }
    }

    private void bodyExpired() {
        timeouts.streamExpired(connection(), TimeoutKind.REQUEST_BODY, "reset a stream: " + bodyClock.expiry());
        close();
    }

    void onWritabilityChanged() {
        if (!done) {
            listener.onWritabilityChanged();
        }
    }

    /** The client reset the stream, the stream closed, or the connection is gone. */
    void onGone() {
        if (done) {
            return;
        }
        done = true;
        releasePending();
        if (bodyTimer != null) {
            bodyTimer.cancel();
        }
        if (listener != null) {
            listener.onReset();
        }
    }

    /**
     * Drops the pieces the call did not read, and gives their bytes back to the windows; the listener hears of
     * them unless the stream is gone (then Netty has given the bytes back itself).
     */
    private void releasePending() {
        Piece piece;
        while ((piece = pending.poll()) != null) {
            if (!done) {
                listener.onRequestDropped(piece.content().readableBytes(), piece.last());
            }
            returnWindow(piece.windowBytes());
            piece.content().release();
        }
    }

    @Override
    public Channel connection() {
        return handler.context().channel();
    }

    @Override
    public boolean isHttp2() {
        return true;
    }

    @Override
    public void write(HttpObject msg) {
        if (done) {
            ReferenceCountUtil.release(msg);
            return;
        }
        writeFrames(msg).addListener(f -> {
            if (!f.isSuccess()) {
                close();
            }
        });
    }

    @Override
    public ChannelFuture writeEnd(HttpObject msg) {
        if (done) {
            ReferenceCountUtil.release(msg);
            return handler.context().newFailedFuture(new IllegalStateException("stream " + id + " was reset"));
        }
        final ChannelFuture written = writeFrames(msg);
        handler.flush();
        if (msg instanceof LastHttpContent) {
            responseEnded();
        }
        return written;
    }

    /**
     * The response is complete: the rest of the request body is dropped, and a client that goes on sending
     * it is asked to stop. RFC 9113 §8.1: "the server MAY request that the client abort transmission of a
     * request without error by sending a RST_STREAM with an error code of NO_ERROR after sending a complete
     * response". A client about to end its request gets a moment to do so first.
     */
    private void responseEnded() {
        answered = true;
        releasePending();
        if (bodyTimer != null) {
            bodyTimer.cancel();
        }
        if (!requestEnded) {
            eventLoop().schedule(() -> {
                if (!done && !requestEnded) {
                    reset(Http2Error.NO_ERROR);
                }
            }, UNENDED_STREAM_RESET_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /** Writes {@code msg} as the stream's frames; returns the last one's future. */
    private ChannelFuture writeFrames(HttpObject msg) {
        ChannelFuture last = null;
        try {
            if (msg instanceof HttpResponse response) {
                listener.beforeResponseHead(response);
                final boolean endStream = msg instanceof FullHttpMessage full && !full.content().isReadable()
                                          && full.trailingHeaders().isEmpty();
                last = handler.writeHeaders(id, HttpConversionUtil.toHttp2Headers(response, true), endStream);
                if (endStream) {
                    full(msg).release();
                    return last;
                }
            }
            if (msg instanceof LastHttpContent end) {
                final boolean trailers = !end.trailingHeaders().isEmpty();
                final Http2Headers trailerBlock = trailers
                        ? HttpConversionUtil.toHttp2Headers(end.trailingHeaders(), true) : null;
                if (end.content().isReadable() || !trailers) {
                    last = handler.writeData(id, end.content(), !trailers);
                } else {
                    end.release();
                }
                if (trailers) {
                    last = handler.writeHeaders(id, trailerBlock, true);
                }
            } else if (msg instanceof HttpContent content) {
                last = handler.writeData(id, content.content(), false);
            }
            return last;
        } catch (RuntimeException e) {
            // Headers that HTTP/2 cannot carry; thrown before any of msg's content was handed on.
            ReferenceCountUtil.release(msg);
            return handler.context().newFailedFuture(e);
        }
    }

    private static FullHttpMessage full(HttpObject msg) {
        return (FullHttpMessage) msg;
    }

    @Override
    public void flush() {
        handler.flush();
    }

    @Override
    public boolean isWritable() {
        return !done && handler.isWritable(id);
    }

    @Override
    public void close() {
        reset(Http2Error.CANCEL);
    }

    private void reset(Http2Error error) {
        if (done) {
            return;
        }
        handler.resetIfOpen(id, error);
        onGone();
    }
}
