package dev.portico.proxy.observe;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.ServiceLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Portico's logging as logback sets it up in a fresh context: found as a service, levels, appenders. */
class LogSetupTest {
    private final LoggerContext context = new LoggerContext();

    @AfterEach
    void stop() {
        System.clearProperty(LogSetup.LEVEL_VARIABLE);
        System.clearProperty("logback.configurationFile");
        context.stop();
    }

    @Test
    void logbackFindsItAsAConfigurator() {
        assertThat(ServiceLoader.load(ch.qos.logback.classic.spi.Configurator.class).stream()
                                .map(ServiceLoader.Provider::type))
                .contains(LogSetup.class);
    }

    @Test
    void porticosOwnLogGoesToStderrAtInfoAndTheAccessLogToStdoutWithoutBlocking() {
        assertThat(configure()).isEqualTo(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);

        final Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        assertThat(root.getLevel()).isEqualTo(Level.INFO);
        assertThat(((ConsoleAppender<?>) root.getAppender("STDERR")).getTarget()).isEqualTo("System.err");
        final Logger access = context.getLogger(AccessLog.LOGGER);
        assertThat(access.isAdditive()).isFalse();
        final AsyncAppender async = (AsyncAppender) access.getAppender("ACCESS");
        assertThat(async.isStarted()).isTrue();
        assertThat(async.isNeverBlock()).isTrue();
        assertThat(async.getQueueSize()).isEqualTo(8192);
        assertThat(async.getDiscardingThreshold()).isZero();
        assertThat(((ConsoleAppender<?>) async.getAppender("ACCESS_STDOUT")).getTarget()).isEqualTo("System.out");
        assertThat(context.getLogger("io.netty.handler.codec.http2.DefaultHttp2ConnectionDecoder").getLevel())
                .isEqualTo(Level.WARN);
    }

    @Test
    void theLevelComesFromPorticoLogLevel() {
        System.setProperty(LogSetup.LEVEL_VARIABLE, "debug");
        configure();
        assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getLevel()).isEqualTo(Level.DEBUG);
    }

    @Test
    void anOperatorsLogbackFileTakesOver() {
        System.setProperty("logback.configurationFile", "/etc/portico/logback.xml");
        assertThat(configure()).isEqualTo(ExecutionStatus.INVOKE_NEXT_IF_ANY);
        assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR")).isNull();
    }

    @Test
    void anEventIsOneLineWithTimeLevelLoggerAndMessageAndThenItsStackTrace() {
        final Logger logger = context.getLogger("dev.portico.upstream.EndpointPool");
        final LoggingEvent event = new LoggingEvent(Logger.class.getName(), logger, Level.WARN,
                                                    "endpoint {} failed", new IllegalStateException("refused"),
                                                    new Object[] {"127.0.0.1:50051"});
        event.setTimeStamp(1_764_898_423_681L);
        final String text = new String(LineEncoder.event().encode(event), StandardCharsets.UTF_8);

        final String[] lines = text.split(System.lineSeparator());
        final String time = lines[0].substring(0, lines[0].indexOf(' '));
        assertThat(time).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d)");
        assertThat(OffsetDateTime.parse(time).toInstant().toEpochMilli()).isEqualTo(1_764_898_423_681L);
        assertThat(lines[0].substring(time.length()))
                .isEqualTo(" WARN EndpointPool - endpoint 127.0.0.1:50051 failed");
        assertThat(lines[1]).isEqualTo("java.lang.IllegalStateException: refused");
        assertThat(lines[2]).startsWith("\tat dev.portico.proxy.observe.LogSetupTest.");
    }

    @Test
    void theAccessLogLineIsTheMessageAlone() {
        final Logger logger = context.getLogger(AccessLog.LOGGER);
        final LoggingEvent event = new LoggingEvent(Logger.class.getName(), logger, Level.INFO,
                                                    "127.0.0.1 \"POST /a.B/C HTTP/2.0\" 200", null, null);
        assertThat(new String(LineEncoder.messageOnly().encode(event), StandardCharsets.UTF_8))
                .isEqualTo("127.0.0.1 \"POST /a.B/C HTTP/2.0\" 200" + System.lineSeparator());
    }

    private ExecutionStatus configure() {
        final LogSetup setup = new LogSetup();
        setup.setContext(context);
        return setup.configure(context);
    }
}
