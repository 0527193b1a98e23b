package dev.portico.proxy.observe;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.hook.DefaultShutdownHook;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * Portico's logging, set up in code (logback finds it through {@code META-INF/services}): reading an XML
 * configuration took a third of a second of every start, the XML parser's and logback's configuration model
 * included. {@code -Dlogback.configurationFile=/path/to/logback.xml} replaces it (logback then reads that
 * file, as without this class).
 *
 * <p>Two streams, as the official nginx image does it (access.log to stdout, error.log to stderr):
 * <ul>
 *   <li>stderr: what happens to Portico, one line per event, written at once. The level is
 *       {@code PORTICO_LOG_LEVEL} (a {@code -D} property or the environment), INFO by default.
 *   <li>stdout: the access log (logger {@link AccessLog#LOGGER}), through an {@link AsyncAppender}: the event
 *       loops only hand the line to a bounded queue and never wait for the terminal, pipe or disk; when the
 *       queue is full the line is dropped ({@code neverBlock}) rather than the call slowed.
 * </ul>
 */
public final class LogSetup extends ContextAwareBase implements Configurator {
    static final String LEVEL_VARIABLE = "PORTICO_LOG_LEVEL";
    private static final int ACCESS_QUEUE_LINES = 8192;

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY; // The operator's own file.
        }
        // java.util.logging (grpc-java, the OpenTelemetry SDK) reaches logback through jul-to-slf4j
        // (installed by Portico's main); this keeps JUL's own levels in step, so that what logback drops
        // costs JUL nothing.
        final LevelChangePropagator julLevels = new LevelChangePropagator();
        julLevels.setContext(context);
        julLevels.setResetJUL(true);
        julLevels.start();
        context.addListener(julLevels);

        // On exit, lines still queued for the access log are written (for up to a second).
        final DefaultShutdownHook flushOnExit = new DefaultShutdownHook();
        flushOnExit.setContext(context);
        Runtime.getRuntime().addShutdownHook(new Thread(flushOnExit, "logback-shutdown"));

        final Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(configuredLevel(), Level.INFO));
        root.addAppender(console(context, "STDERR", "System.err", LineEncoder.event()));

        // The line is formatted by Portico (text or JSON, portico.access-log.format).
        final AsyncAppender access = new AsyncAppender();
        access.setContext(context);
        access.setName("ACCESS");
        access.setQueueSize(ACCESS_QUEUE_LINES);
        access.setDiscardingThreshold(0); // No line is dropped while the queue has room.
        access.setNeverBlock(true);
        access.addAppender(console(context, "ACCESS_STDOUT", "System.out", LineEncoder.messageOnly()));
        access.start();
        final Logger accessLogger = context.getLogger(AccessLog.LOGGER);
        accessLogger.setLevel(Level.INFO);
        accessLogger.setAdditive(false);
        accessLogger.addAppender(access);

        // Netty logs one INFO line per frame a client sends on a stream Portico refused or reset ("ignoring
        // DATA frame for stream RST_STREAM sent"): a client can cause any number of them, and they are
        // counted in portico_http2_streams_refused_total instead.
        context.getLogger("io.netty.handler.codec.http2.DefaultHttp2ConnectionDecoder").setLevel(Level.WARN);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    private static String configuredLevel() {
        final String property = System.getProperty(LEVEL_VARIABLE);
        return property != null ? property : System.getenv(LEVEL_VARIABLE);
    }

    private static ConsoleAppender<ILoggingEvent> console(LoggerContext context, String name, String target,
                                                          LineEncoder encoder) {
        encoder.setContext(context);
        encoder.start();
        final ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
        appender.setContext(context);
        appender.setName(name);
        appender.setTarget(target);
        appender.setEncoder(encoder);
        appender.start();
        return appender;
    }
}
