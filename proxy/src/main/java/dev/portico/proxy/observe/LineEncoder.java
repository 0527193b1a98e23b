package dev.portico.proxy.observe;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.encoder.EncoderBase;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/**
 * Portico's two line formats, written out instead of parsed from a logback pattern: setting up
 * {@code PatternLayout} (its pattern parser and some 80 converters) took 30 ms of every start.
 * <ul>
 *   <li>{@link #event()}: {@code 2026-12-05T01:33:43.681Z INFO EndpointPool - message}, the pattern
 *       {@code %d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %level %logger{0} - %msg%n}, then the stack trace if any;
 *   <li>{@link #messageOnly()}: the message and a line break ({@code %msg%n}), for lines Portico formats
 *       itself (the access log).
 * </ul>
 * Lines are UTF-8 whatever the platform's default charset (the pattern encoder used the default, which in a
 * container without a locale is ASCII and turned other characters into '?').
 */
final class LineEncoder extends EncoderBase<ILoggingEvent> {
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX").withZone(ZoneId.systemDefault());

    private final boolean messageOnly;

    private LineEncoder(boolean messageOnly) {
        this.messageOnly = messageOnly;
    }

    static LineEncoder event() {
        return new LineEncoder(false);
    }

    static LineEncoder messageOnly() {
        return new LineEncoder(true);
    }

    @Override
    public byte[] headerBytes() {
        return null;
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        final StringBuilder line = new StringBuilder(128);
        if (!messageOnly) {
            TIME.formatTo(Instant.ofEpochMilli(event.getTimeStamp()), line);
            line.append(' ').append(event.getLevel()).append(' ');
            final String logger = event.getLoggerName();
            line.append(logger, logger.lastIndexOf('.') + 1, logger.length()).append(" - ");
        }
        line.append(event.getFormattedMessage()).append(CoreConstants.LINE_SEPARATOR);
        final IThrowableProxy thrown = event.getThrowableProxy();
        if (thrown != null) {
            line.append(ThrowableProxyUtil.asString(thrown));
        }
        return line.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] footerBytes() {
        return null;
    }
}
