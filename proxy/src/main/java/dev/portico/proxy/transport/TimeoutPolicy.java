package dev.portico.proxy.transport;

import static java.util.Objects.requireNonNull;

import dev.portico.config.TimeoutSettings;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpRequest;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * What the timeout handlers share: the configured timeouts (in nanoseconds, 0 for "never"), which HTTP/2
 * requests have a body Portico must have whole, and where an expiry is reported. Immutable; thread-safe.
 *
 * @param wholeBodyOverHttp2 whether an HTTP/2 request's body must arrive whole before its call can go on
 *                           (Connect unary POST); every HTTP/1.1 request's body is timed
 */
public record TimeoutPolicy(TimeoutSettings settings, Predicate<HttpRequest> wholeBodyOverHttp2,
                            ConnectionEvents events, ThrottledLog log) {

    public TimeoutPolicy {
        requireNonNull(settings, "settings");
        requireNonNull(wholeBodyOverHttp2, "wholeBodyOverHttp2");
        requireNonNull(events, "events");
        requireNonNull(log, "log");
    }

    long requestHeadNanos() {
        return settings.requestHead().toNanos();
    }

    long idleNanos() {
        return settings.idle().toNanos();
    }

    long requestBodyIdleNanos() {
        return settings.requestBodyIdle().toNanos();
    }

    long requestBodyNanos() {
        return settings.requestBody().toNanos();
    }

    /** Whether a body can time out at all. */
    boolean timesBodies() {
        return requestBodyIdleNanos() > 0 || requestBodyNanos() > 0;
    }

    /**
     * Reports that {@code kind} expired on {@code connection} and marks its close reason; the caller then
     * ends it. {@code what} names what was waited for and the key that bounds it.
     */
    void expired(Channel connection, TimeoutKind kind, String what) {
        connection.attr(CloseReason.ATTRIBUTE).set(kind.closeReason());
        report(connection, kind, what);
    }

    /** Reports that {@code kind} expired on one HTTP/2 stream of {@code connection}; the caller resets it. */
    void streamExpired(Channel connection, TimeoutKind kind, String what) {
        report(connection, kind, what);
    }

    private void report(Channel connection, TimeoutKind kind, String what) {
        events.timedOut(kind);
        log.warn(kind.closeReason().tag().replace('_', '-'), "{}; client {}", what, connection.remoteAddress());
    }

    /** {@code portico.listen.timeouts.<key> = <value>}, for log lines. */
    static String setting(String key, long nanos) {
        final Duration d = Duration.ofNanos(nanos);
        return "portico.listen.timeouts." + key + " = "
               + (d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms");
    }
}
