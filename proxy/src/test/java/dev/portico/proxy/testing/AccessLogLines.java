package dev.portico.proxy.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import dev.portico.proxy.observe.AccessLog;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.LoggerFactory;

/**
 * The access-log lines Portico writes while this is open: an appender on the real {@code portico.access}
 * logger, beside the configured (asynchronous) one.
 */
public final class AccessLogLines implements AutoCloseable {
    /** How long to wait for lines that should not come before declaring there are none. */
    private static final Duration QUIET = Duration.ofMillis(300);

    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(AccessLog.LOGGER);
    private final AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
        @Override
        protected void append(ILoggingEvent event) {
            lines.add(event.getFormattedMessage());
        }
    };

    private AccessLogLines() {
        appender.setContext(logger.getLoggerContext());
        appender.setName("test-capture");
        appender.start();
        logger.addAppender(appender);
    }

    public static AccessLogLines capture() {
        return new AccessLogLines();
    }

    /**
     * Waits up to {@code timeout} for {@code count} lines (a call's line follows its response by a moment),
     * then a little longer for any line too many; returns every line so far.
     */
    public List<String> await(int count, Duration timeout) throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (lines.size() < count && System.nanoTime() - deadline < 0) {
            Thread.sleep(10);
        }
        Thread.sleep(QUIET.toMillis());
        return List.copyOf(lines);
    }

    public void clear() {
        lines.clear();
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
    }
}
