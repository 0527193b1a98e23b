package dev.portico.proxy.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.config.ConnectionLimitSettings;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/**
 * Accept failures on a real listening channel. EMFILE itself cannot be provoked inside the test JVM without
 * lowering the file-descriptor limit of the whole process (and every other test with it), so the failure
 * is delivered the way Netty delivers it: as an exception fired on the listener's pipeline.
 */
class ConnectionLimiterTest {
    private static final Duration LOG_INTERVAL = Duration.ofMillis(1500);

    private final RecordingLogger logger = new RecordingLogger();
    private final CountingEvents events = new CountingEvents();
    private final CountDownLatch accepted = new CountDownLatch(1);
    private EventLoopGroup group;
    private Channel listener;

    @BeforeEach
    void bind() throws InterruptedException {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        final ConnectionLimiter limiter = new ConnectionLimiter(
                new ConnectionLimitSettings(100, 0), events, new ThrottledLog(logger, LOG_INTERVAL));
        listener = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .handler(limiter)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accepted.countDown();
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .sync()
                .channel();
    }

    @AfterEach
    void close() {
        listener.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void acceptFailuresAreCountedLoggedOncePerIntervalAndPauseAcceptingForASecond() throws Exception {
        for (int i = 0; i < 5; i++) {
            failAccept();
        }
        assertThat(events.acceptFailures.get()).isEqualTo(5);
        assertThat(logger.lines).hasSize(1);
        assertThat(logger.lines.get(0)).contains("Too many open files").doesNotContain("more accept-error");
        assertThat(logger.throwables.get()).as("no stack trace").isZero();
        assertThat(listener.config().isAutoRead()).as("accepting paused").isFalse();

        assertThat(await(() -> listener.config().isAutoRead(), Duration.ofSeconds(5)))
                .as("accepting resumed").isTrue();
        assertThat(listener.isOpen()).isTrue();
        try (Socket client = new Socket()) {
            client.connect(listener.localAddress(), 5000);
            assertThat(accepted.await(5, TimeUnit.SECONDS)).as("a new connection is accepted").isTrue();
        }

        // After the interval the next failure is logged again, with what was left out.
        Thread.sleep(LOG_INTERVAL.toMillis());
        failAccept();
        assertThat(logger.lines).hasSize(2);
        assertThat(logger.lines.get(1)).contains("(and 4 more accept-error in the last");
        assertThat(events.acceptFailures.get()).isEqualTo(6);
    }

    private void failAccept() throws Exception {
        listener.eventLoop().submit(() -> listener.pipeline().fireExceptionCaught(
                new IOException("accept(..) failed: Too many open files"))).get(5, TimeUnit.SECONDS);
    }

    private static boolean await(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    /** Counts what the limiter reports. */
    private static final class CountingEvents implements ConnectionEvents {
        final AtomicInteger acceptFailures = new AtomicInteger();

        @Override
        public void accepted() {}

        @Override
        public void rejected(CloseReason reason) {}

        @Override
        public void negotiated(ConnectionVersion version) {}

        @Override
        public void closed(CloseReason reason, ConnectionVersion version) {}

        @Override
        public void acceptFailed() {
            acceptFailures.incrementAndGet();
        }

        @Override
        public void timedOut(TimeoutKind kind) {}
    }

    /** An SLF4J logger that keeps every line it is given, formatted, and counts those with a throwable. */
    private static final class RecordingLogger extends LegacyAbstractLogger {
        final List<String> lines = new CopyOnWriteArrayList<>();
        final AtomicInteger throwables = new AtomicInteger();

        RecordingLogger() {
            this.name = "recording";
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] arguments,
                                                   Throwable throwable) {
            lines.add(level + " " + MessageFormatter.basicArrayFormat(pattern, arguments));
            if (throwable != null) {
                throwables.incrementAndGet();
            }
        }

        @Override
        public boolean isTraceEnabled() {
            return true;
        }

        @Override
        public boolean isDebugEnabled() {
            return true;
        }

        @Override
        public boolean isInfoEnabled() {
            return true;
        }

        @Override
        public boolean isWarnEnabled() {
            return true;
        }

        @Override
        public boolean isErrorEnabled() {
            return true;
        }
    }
}
