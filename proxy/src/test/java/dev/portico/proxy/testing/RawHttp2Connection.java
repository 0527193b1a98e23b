package dev.portico.proxy.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2FrameWriter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Settings;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * An HTTP/2 client at the level of frames (RFC 9113), for what {@link TestHttpClient} cannot show or must not
 * do: it sends a request's HEADERS and DATA in one write, ignores the server's SETTINGS when told to break
 * them (concurrent streams, header list size), and records every frame the server sends per stream,
 * including RST_STREAM error codes and GOAWAY.
 *
 * <p>It answers SETTINGS and PING, and returns every DATA byte to the flow-control windows at once. It does
 * not honour the server's flow-control windows itself: keep request bodies under 64 KiB. One connection per
 * instance; the methods are thread-safe.
 */
public final class RawHttp2Connection implements AutoCloseable {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

    /** RFC 9113 section 7 error codes the tests look for. */
    public static final long NO_ERROR = 0x0;
    public static final long PROTOCOL_ERROR = 0x1;
    public static final long STREAM_CLOSED = 0x5;
    public static final long REFUSED_STREAM = 0x7;
    public static final long CANCEL = 0x8;
    public static final long ENHANCE_YOUR_CALM = 0xb;

    private final Channel channel;
    private final String authority;
    private final FrameHandler handler;
    /** Guarded by {@code this}; every change notifies. */
    private final Map<Integer, StreamRecord> streams = new HashMap<>();
    private Http2Settings serverSettings;
    private GoAway goAway;
    private final List<GoAway> goAways = new ArrayList<>();
    private boolean closed;
    /** The sum of the server's WINDOW_UPDATE increments for the connection (stream 0). */
    private long connectionWindowCredit;
    private int nextStreamId = 1;

    private RawHttp2Connection(Channel channel, String authority, FrameHandler handler) {
        this.channel = channel;
        this.authority = authority;
        this.handler = handler;
    }

    /** Connects with prior knowledge (h2c) and waits for the server's SETTINGS, which it acknowledges. */
    public static RawHttp2Connection connect(int port) throws InterruptedException {
        final RawHttp2Connection connection = tryConnect(port);
        if (connection == null) {
            throw new AssertionError("the server closed the connection before its SETTINGS");
        }
        return connection;
    }

    /**
     * Like {@link #connect}, but returns null if the server closed the connection before its SETTINGS: it
     * refused the connection.
     */
    public static RawHttp2Connection tryConnect(int port) throws InterruptedException {
        final FrameHandler handler = new FrameHandler();
        final Channel channel = new Bootstrap()
                .group(GROUP)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) CONNECT_TIMEOUT.toMillis())
                .handler(handler)
                .connect("127.0.0.1", port)
                .sync()
                .channel();
        final RawHttp2Connection connection = new RawHttp2Connection(channel, "127.0.0.1:" + port, handler);
        handler.owner = connection;
        // Also when the server closed the connection before this point (it refused the connection).
        channel.closeFuture().addListener(f -> connection.connectionEvent(() -> connection.closed = true));
        connection.onLoop(() -> {
            // RFC 9113 section 3.4: the client preface is the magic string and a SETTINGS frame.
            handler.ctx.write(Http2CodecUtil.connectionPrefaceBuf());
            handler.writer.writeSettings(handler.ctx, new Http2Settings(), handler.ctx.newPromise());
            handler.ctx.flush();
            return null;
        });
        if (!connection.await(() -> connection.serverSettings != null || connection.closed, CONNECT_TIMEOUT)) {
            connection.close();
            throw new AssertionError("no SETTINGS from the server within " + CONNECT_TIMEOUT);
        }
        if (connection.serverSettings == null) {
            connection.close();
            return null;
        }
        return connection;
    }

    /** The headers of a POST to {@code path}: pseudo-headers first, then {@code headers}, lower-cased. */
    public Http2Headers post(String path, HttpHeaders headers) {
        return headers("POST", path, headers);
    }

    /** Request headers: pseudo-headers first, then {@code headers} with their names lower-cased. */
    public Http2Headers headers(String method, String path, HttpHeaders headers) {
        final Http2Headers h2 = new DefaultHttp2Headers(false)
                .method(method).scheme("http").authority(authority).path(path);
        headers.forEach(e -> h2.add(e.getKey().toLowerCase(Locale.ROOT), e.getValue()));
        return h2;
    }

    /** Sends HEADERS and, unless {@code body} is null, one DATA frame ending the stream, in one write. */
    public int send(Http2Headers headers, byte[] body) throws InterruptedException {
        return onLoop(() -> {
            final int streamId = newStream();
            handler.writer.writeHeaders(handler.ctx, streamId, headers, 0, body == null,
                                        handler.ctx.newPromise());
            if (body != null) {
                handler.writer.writeData(handler.ctx, streamId, Unpooled.wrappedBuffer(body), 0, true,
                                         handler.ctx.newPromise());
            }
            handler.ctx.flush();
            return streamId;
        });
    }

    /** Sends HEADERS without ending the stream; the body follows with {@link #sendData}. */
    public int open(Http2Headers headers) throws InterruptedException {
        return onLoop(() -> {
            final int streamId = newStream();
            handler.writer.writeHeaders(handler.ctx, streamId, headers, 0, false, handler.ctx.newPromise());
            handler.ctx.flush();
            return streamId;
        });
    }

    public void sendData(int streamId, byte[] data, boolean endStream) throws InterruptedException {
        onLoop(() -> {
            handler.writer.writeData(handler.ctx, streamId, Unpooled.wrappedBuffer(data), 0, endStream,
                                     handler.ctx.newPromise());
            handler.ctx.flush();
            return null;
        });
    }

    /**
     * Opens {@code count} streams and resets each right behind its HEADERS (rapid reset, CVE-2023-44487), all
     * in one write, so that the server reads each HEADERS and its RST_STREAM together.
     */
    public void openAndReset(Http2Headers headers, int count) throws InterruptedException {
        onLoop(() -> {
            for (int i = 0; i < count; i++) {
                final int streamId = newStream();
                handler.writer.writeHeaders(handler.ctx, streamId, headers, 0, false, handler.ctx.newPromise());
                handler.writer.writeRstStream(handler.ctx, streamId, CANCEL, handler.ctx.newPromise());
            }
            handler.ctx.flush();
            return null;
        });
    }

    /**
     * Opens {@code count} streams, each with HEADERS, one DATA frame of {@code body} that does not end it, and
     * RST_STREAM(CANCEL), all in one write: bodies the server has not read when the resets arrive.
     */
    public void openSendAndReset(Http2Headers headers, byte[] body, int count) throws InterruptedException {
        onLoop(() -> {
            for (int i = 0; i < count; i++) {
                final int streamId = newStream();
                handler.writer.writeHeaders(handler.ctx, streamId, headers, 0, false, handler.ctx.newPromise());
                handler.writer.writeData(handler.ctx, streamId, Unpooled.wrappedBuffer(body), 0, false,
                                         handler.ctx.newPromise());
                handler.writer.writeRstStream(handler.ctx, streamId, CANCEL, handler.ctx.newPromise());
            }
            handler.ctx.flush();
            return null;
        });
    }

    public void reset(int streamId, long errorCode) throws InterruptedException {
        onLoop(() -> {
            handler.writer.writeRstStream(handler.ctx, streamId, errorCode, handler.ctx.newPromise());
            handler.ctx.flush();
            return null;
        });
    }

    private int newStream() {
        final int streamId = nextStreamId;
        nextStreamId += 2;
        synchronized (this) {
            streams.put(streamId, new StreamRecord());
        }
        return streamId;
    }

    /** Waits until the server ended or reset the stream, and returns what it sent on it. */
    public StreamResult await(int streamId, Duration timeout) throws InterruptedException {
        final StreamRecord record;
        synchronized (this) {
            record = Objects.requireNonNull(streams.get(streamId), "no stream " + streamId);
        }
        if (!await(() -> record.ended() || closed, timeout)) {
            throw new AssertionError("stream " + streamId + " did not end within " + timeout + "; so far: "
                                     + snapshot(streamId));
        }
        return snapshot(streamId);
    }

    /** What the server sent on the stream so far. */
    public synchronized StreamResult snapshot(int streamId) {
        final StreamRecord record = streams.get(streamId);
        return new StreamResult(List.copyOf(record.headers), record.data.toByteArray(), record.endStream,
                                record.resetCode);
    }

    /** Whether nothing has arrived on the stream (no HEADERS, DATA or RST_STREAM) within {@code time}. */
    public boolean staysSilent(int streamId, Duration time) throws InterruptedException {
        final StreamRecord record;
        synchronized (this) {
            record = streams.get(streamId);
        }
        return !await(() -> !record.headers.isEmpty() || record.data.size() > 0 || record.ended(), time);
    }

    /**
     * What the server has credited back to the connection's flow-control window so far (WINDOW_UPDATE on
     * stream 0), including its initial enlargement of the window.
     */
    public synchronized long connectionWindowCredit() {
        return connectionWindowCredit;
    }

    /** Waits until the server credited back at least {@code bytes} to the connection window. */
    public boolean awaitConnectionWindowCredit(long bytes, Duration timeout) throws InterruptedException {
        return await(() -> connectionWindowCredit >= bytes, timeout);
    }

    public synchronized Http2Settings serverSettings() {
        return serverSettings;
    }

    /** Waits for the connection to close; returns the GOAWAY the server sent first, or null if none. */
    public GoAway awaitClosed(Duration timeout) throws InterruptedException {
        if (!await(() -> closed, timeout)) {
            throw new AssertionError("the connection is still open after " + timeout);
        }
        synchronized (this) {
            return goAway;
        }
    }

    /** Whether the connection closes within {@code timeout}. */
    public boolean closesWithin(Duration timeout) throws InterruptedException {
        return await(() -> closed, timeout);
    }

    public synchronized boolean isOpen() {
        return !closed;
    }

    /** Every GOAWAY received so far, in order. */
    public synchronized List<GoAway> goAways() {
        return List.copyOf(goAways);
    }

    public synchronized GoAway goAway() {
        return goAway;
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }

    private synchronized boolean await(BooleanSupplier condition, Duration timeout)
            throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            final long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    private <T> T onLoop(Callable<T> task) throws InterruptedException {
        try {
            return channel.eventLoop().submit(task).get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("writing to the connection failed", e);
        }
    }

    // Called on the event loop.
    private synchronized void record(int streamId, Consumer<StreamRecord> change) {
        change.accept(streams.computeIfAbsent(streamId, id -> new StreamRecord()));
        notifyAll();
    }

    private synchronized void connectionEvent(Runnable change) {
        change.run();
        notifyAll();
    }

    /** What the server sent on one stream. {@code resetCode} is that of its first RST_STREAM, or null. */
    public record StreamResult(List<Http2Headers> headers, byte[] data, boolean endStream, Long resetCode) {
        /** The response's {@code :status}, or -1 if no HEADERS arrived. */
        public int status() {
            return headers.isEmpty() ? -1 : Integer.parseInt(headers.get(0).status().toString());
        }

        /** The response as {@link TestHttpClient} reports one: headers without pseudo-headers, trailers. */
        public TestHttpClient.Response toResponse() {
            if (headers.isEmpty()) {
                throw new AssertionError("no response HEADERS; reset code " + resetCode);
            }
            final HttpHeaders trailers =
                    headers.size() > 1 ? regular(headers.get(1)) : new DefaultHttpHeaders();
            return new TestHttpClient.Response(status(), regular(headers.get(0)), data, trailers);
        }

        private static HttpHeaders regular(Http2Headers h2) {
            final HttpHeaders out = new DefaultHttpHeaders();
            h2.forEach(e -> {
                if (e.getKey().length() == 0 || e.getKey().charAt(0) != ':') {
                    out.add(e.getKey(), e.getValue());
                }
            });
            return out;
        }

        @Override
        public String toString() {
            return "StreamResult[headers=" + headers + ", data=" + data.length + " bytes, endStream="
                   + endStream + ", resetCode=" + resetCode + "]";
        }
    }

    /** A GOAWAY frame from the server. */
    public record GoAway(int lastStreamId, long errorCode, String debugData) {}

    private static final class StreamRecord {
        final List<Http2Headers> headers = new ArrayList<>();
        final ByteArrayOutputStream data = new ByteArrayOutputStream();
        boolean endStream;
        Long resetCode;

        boolean ended() {
            return endStream || resetCode != null;
        }
    }

    /** Reads frames with Netty's frame reader, answers what the protocol requires, and records the rest. */
    private static final class FrameHandler extends ByteToMessageDecoder {
        final Http2FrameWriter writer = new DefaultHttp2FrameWriter(Http2HeadersEncoder.NEVER_SENSITIVE, true);
        final DefaultHttp2FrameReader reader = new DefaultHttp2FrameReader(false);
        volatile ChannelHandlerContext ctx;
        volatile RawHttp2Connection owner;

        @Override
        public void handlerAdded(ChannelHandlerContext context) {
            this.ctx = context;
        }

        @Override
        protected void decode(ChannelHandlerContext context, ByteBuf in, List<Object> out)
                throws Http2Exception {
            reader.readFrame(context, in, new Listener());
        }

        @Override
        public void channelInactive(ChannelHandlerContext context) throws Exception {
            // Recorded by the close future's listener, which also sees a close before `owner` was set.
            super.channelInactive(context);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
            context.close();
        }

        private final class Listener extends Http2FrameAdapter {
            @Override
            public int onDataRead(ChannelHandlerContext context, int streamId, ByteBuf data, int padding,
                                  boolean endOfStream) {
                final int processed = data.readableBytes() + padding;
                final byte[] bytes = ByteBufUtil.getBytes(data);
                owner.record(streamId, r -> {
                    r.data.writeBytes(bytes);
                    r.endStream |= endOfStream;
                });
                if (processed > 0) {
                    writer.writeWindowUpdate(context, 0, processed, context.newPromise());
                    if (!endOfStream) {
                        writer.writeWindowUpdate(context, streamId, processed, context.newPromise());
                    }
                    context.flush();
                }
                return processed;
            }

            @Override
            public void onHeadersRead(ChannelHandlerContext context, int streamId, Http2Headers headers,
                                      int padding, boolean endOfStream) {
                owner.record(streamId, r -> {
                    r.headers.add(headers);
                    r.endStream |= endOfStream;
                });
            }

            @Override
            public void onHeadersRead(ChannelHandlerContext context, int streamId, Http2Headers headers,
                                      int streamDependency, short weight, boolean exclusive, int padding,
                                      boolean endOfStream) {
                onHeadersRead(context, streamId, headers, padding, endOfStream);
            }

            @Override
            public void onRstStreamRead(ChannelHandlerContext context, int streamId, long errorCode) {
                owner.record(streamId, r -> {
                    if (r.resetCode == null) {
                        r.resetCode = errorCode;
                    }
                });
            }

            @Override
            public void onSettingsRead(ChannelHandlerContext context, Http2Settings settings) {
                writer.writeSettingsAck(context, context.newPromise());
                context.flush();
                owner.connectionEvent(() -> {
                    if (owner.serverSettings == null) {
                        owner.serverSettings = settings;
                    }
                });
            }

            @Override
            public void onPingRead(ChannelHandlerContext context, long data) {
                writer.writePing(context, true, data, context.newPromise());
                context.flush();
            }

            @Override
            public void onWindowUpdateRead(ChannelHandlerContext context, int streamId, int increment) {
                if (streamId == 0) {
                    owner.connectionEvent(() -> owner.connectionWindowCredit += increment);
                }
            }

            @Override
            public void onGoAwayRead(ChannelHandlerContext context, int lastStreamId, long errorCode,
                                     ByteBuf debugData) {
                final String debug = debugData.toString(StandardCharsets.UTF_8);
                owner.connectionEvent(() -> {
                    owner.goAway = new GoAway(lastStreamId, errorCode, debug);
                    owner.goAways.add(owner.goAway);
                });
            }
        }
    }
}
