package dev.portico.proxy.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * A real HTTP/1.1 and HTTP/2 client for the tests, built on Netty's client codecs: it streams request
 * bodies piece by piece, shows response pieces as they arrive, can stop reading (to test backpressure)
 * and can abort a call (closing the HTTP/1.1 connection, or resetting the HTTP/2 stream).
 *
 * <p>One connection per client. HTTP/1.1 runs one exchange at a time; HTTP/2 runs any number at once.
 */
public final class TestHttpClient implements AutoCloseable {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());

    private final Transport transport;
    private final Channel connection;
    private final String authority;
    /** The exchange an HTTP/1.1 connection delivers responses to. */
    private volatile Exchange current;

    private TestHttpClient(Transport transport, Channel connection, String authority) {
        this.transport = transport;
        this.connection = connection;
        this.authority = authority;
    }

    public static TestHttpClient connect(Transport transport, int port) throws InterruptedException {
        final SslContext ssl = transport.isTls() ? clientSsl(transport) : null;
        final TestHttpClient[] self = new TestHttpClient[1];
        final Channel channel = new Bootstrap()
                .group(GROUP)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) CONNECT_TIMEOUT.toMillis())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (ssl != null) {
                            ch.pipeline().addLast(ssl.newHandler(ch.alloc(), "127.0.0.1", port));
                        }
                        if (transport.isHttp2()) {
                            ch.pipeline().addLast(Http2FrameCodecBuilder.forClient()
                                                          .initialSettings(Http2Settings.defaultSettings())
                                                          .build(),
                                                  new Http2MultiplexHandler(new RefusePushes()));
                        } else {
                            ch.pipeline().addLast(new HttpClientCodec(), new ResponseCollector(() -> self[0].current));
                        }
                    }
                })
                .connect("127.0.0.1", port)
                .sync()
                .channel();
        if (ssl != null) {
            channel.pipeline().get(SslHandler.class).handshakeFuture().sync();
        }
        self[0] = new TestHttpClient(transport, channel, "127.0.0.1:" + port);
        return self[0];
    }

    private static SslContext clientSsl(Transport transport) {
        try {
            return SslContextBuilder.forClient()
                    .trustManager(InsecureTrustManagerFactory.INSTANCE)
                    .applicationProtocolConfig(new ApplicationProtocolConfig(
                            ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            transport.isHttp2() ? ApplicationProtocolNames.HTTP_2 : ApplicationProtocolNames.HTTP_1_1))
                    .build();
        } catch (SSLException e) {
            throw new IllegalStateException(e);
        }
    }

    public Transport transport() {
        return transport;
    }

    /** The protocol TLS negotiated, or null on cleartext. */
    public String negotiatedProtocol() {
        final SslHandler ssl = connection.pipeline().get(SslHandler.class);
        return ssl == null ? null : ssl.applicationProtocol();
    }

    public boolean isOpen() {
        return connection.isActive();
    }

    /** Sends a request head; the body follows with {@link Exchange#write} and {@link Exchange#end}. */
    public Exchange open(HttpMethod method, String path, HttpHeaders headers) throws InterruptedException {
        final HttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, path,
                                                        new DefaultHttpHeaders().add(headers));
        head.headers().set(HttpHeaderNames.HOST, authority);
        if (transport.isHttp2()) {
            head.headers().set(io.netty.handler.codec.http2.HttpConversionUtil.ExtensionHeaderNames.SCHEME.text(),
                               transport.isTls() ? "https" : "http");
            final Exchange[] exchange = new Exchange[1];
            final Http2StreamChannel stream = new Http2StreamChannelBootstrap(connection)
                    .handler(new ChannelInitializer<Http2StreamChannel>() {
                        @Override
                        protected void initChannel(Http2StreamChannel ch) {
                            ch.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(false),
                                                  new ResponseCollector(() -> exchange[0]));
                        }
                    })
                    .open()
                    .sync()
                    .getNow();
            exchange[0] = new Exchange(stream, true);
            stream.writeAndFlush(head).sync();
            return exchange[0];
        }
        if (!head.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
            HttpUtil.setTransferEncodingChunked(head, true);
        }
        final Exchange exchange = new Exchange(connection, false);
        current = exchange;
        connection.writeAndFlush(head).sync();
        return exchange;
    }

    /** A whole request and its whole response. */
    public Response call(HttpMethod method, String path, HttpHeaders headers, byte[] body)
            throws InterruptedException {
        final Exchange exchange = open(method, path, headers);
        exchange.writeAndEnd(body);
        return exchange.awaitResponse(Duration.ofSeconds(10));
    }

    @Override
    public void close() {
        connection.close().syncUninterruptibly();
    }

    /** A complete response: status, headers, the whole body and the HTTP trailers (empty on HTTP/1.1). */
    public record Response(int status, HttpHeaders headers, byte[] body, HttpHeaders trailers) {}

    /** The end of a response, or the connection or stream closing before it. */
    private record End(HttpHeaders trailers, boolean complete) {}

    /** One request and its response. Response pieces are queued as they arrive. */
    public static final class Exchange {
        private final Channel channel;
        private final boolean http2;
        private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
        private HttpResponse head;

        private Exchange(Channel channel, boolean http2) {
            this.channel = channel;
            this.http2 = http2;
        }

        public void write(byte[] chunk) throws InterruptedException {
            channel.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(chunk))).sync();
        }

        /** Writes without waiting: for filling flow-control windows. The future completes once sent. */
        public io.netty.channel.ChannelFuture writeNoWait(byte[] chunk) {
            return channel.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(chunk)));
        }

        public void end() throws InterruptedException {
            channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).sync();
        }

        public void writeAndEnd(byte[] body) throws InterruptedException {
            channel.writeAndFlush(new DefaultLastHttpContent(Unpooled.wrappedBuffer(body))).sync();
        }

        /** Whether the request side can take more without queueing (flow-control windows, socket). */
        public boolean isWritable() {
            return channel.isWritable();
        }

        /** Stops or resumes reading the response: a slow client. */
        public void setReading(boolean reading) {
            channel.config().setAutoRead(reading);
        }

        /** Aborts: resets the HTTP/2 stream, or closes the HTTP/1.1 connection. */
        public void cancel() {
            channel.close().syncUninterruptibly();
        }

        public HttpResponse awaitHead(Duration timeout) throws InterruptedException {
            while (head == null) {
                final Object event = poll(timeout);
                if (event instanceof End) {
                    throw new AssertionError("the response ended before its head");
                }
            }
            return head;
        }

        /** The next piece of the response body, or null when the response ended. */
        public byte[] nextChunk(Duration timeout) throws InterruptedException {
            while (true) {
                final Object event = poll(timeout);
                if (event instanceof byte[] chunk) {
                    return chunk;
                }
                if (event instanceof End) {
                    events.add(event); // Stays visible to awaitResponse.
                    return null;
                }
            }
        }

        public Response awaitResponse(Duration timeout) throws InterruptedException {
            final ByteArrayOutputStream body = new ByteArrayOutputStream();
            final long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                final Object event = poll(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
                if (event instanceof byte[] chunk) {
                    body.writeBytes(chunk);
                } else if (event instanceof End end) {
                    if (head == null) {
                        throw new AssertionError("the connection closed before a response arrived");
                    }
                    return new Response(head.status().code(), head.headers(), body.toByteArray(), end.trailers());
                }
            }
        }

        /** Whether the response ended (or the stream closed) within the timeout. */
        public boolean awaitEnd(Duration timeout) throws InterruptedException {
            final long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                final Object event = events.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (event instanceof End) {
                    events.add(event);
                    return true;
                }
                if (event instanceof HttpResponse response) {
                    head = response;
                }
            }
            return false;
        }

        private Object poll(Duration timeout) throws InterruptedException {
            final Object event = events.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (event == null) {
                throw new AssertionError("no response event within " + timeout);
            }
            if (event instanceof HttpResponse response) {
                head = response;
            }
            return event;
        }

        void deliver(HttpObject msg) {
            if (msg instanceof HttpResponse response) {
                if (response.status().code() == 100) {
                    return; // 100 Continue: the real head follows.
                }
                events.add(response);
            }
            if (msg instanceof HttpContent content) {
                if (content.content().isReadable()) {
                    events.add(ByteBufUtil.getBytes(content.content()));
                }
                if (content instanceof LastHttpContent last) {
                    events.add(new End(new DefaultHttpHeaders().add(last.trailingHeaders()), true));
                }
            }
        }

        void closed() {
            events.add(new End(new DefaultHttpHeaders(), false));
        }

        boolean isHttp2() {
            return http2;
        }
    }

    /** Queues what arrives for the exchange in progress. */
    private static final class ResponseCollector extends SimpleChannelInboundHandler<HttpObject> {
        private final java.util.function.Supplier<Exchange> exchange;

        ResponseCollector(java.util.function.Supplier<Exchange> exchange) {
            this.exchange = exchange;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            final Exchange target = exchange.get();
            if (target != null) {
                target.deliver(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            final Exchange target = exchange.get();
            if (target != null) {
                target.closed();
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    @ChannelHandler.Sharable
    private static final class RefusePushes extends io.netty.channel.ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            io.netty.util.ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }
}
