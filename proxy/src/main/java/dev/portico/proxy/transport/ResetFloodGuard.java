package dev.portico.proxy.transport;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.portico.config.ResetFloodSettings;
import dev.portico.proxy.metrics.Http2Metrics;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import org.slf4j.LoggerFactory;

/**
 * Keeps a client that floods HTTP/2 connections with stream resets from getting around the per-connection
 * bound by reconnecting: once one of its connections went over {@code portico.limits.reset-flood.max-resets},
 * its IP's new connections are closed as soon as they are accepted, for {@code penalty}.
 *
 * <p>Memory is bounded: at most {@code max-tracked-clients} IPs are remembered, each for the penalty only.
 * Thread-safe; shared by all connections.
 */
public final class ResetFloodGuard {
    /** Flooding clients are logged at most once per interval, with a count. */
    private static final ThrottledLog log =
            new ThrottledLog(LoggerFactory.getLogger(ResetFloodGuard.class));

    private final ResetFloodSettings settings;
    private final Http2Metrics metrics;
    /** Penalised client IPs; an entry expires when its penalty ends. Null when there is no penalty. */
    private final Cache<InetAddress, Boolean> penalised;

    public ResetFloodGuard(ResetFloodSettings settings, Http2Metrics metrics) {
        this.settings = requireNonNull(settings, "settings");
        this.metrics = requireNonNull(metrics, "metrics");
        this.penalised = settings.penalty().isZero() ? null : Caffeine.newBuilder()
                .expireAfterWrite(settings.penalty())
                .maximumSize(settings.maxTrackedClients())
                .build();
    }

    /** The budget of one new HTTP/2 connection. */
    ResetBudget newBudget(int maxConcurrentStreams) {
        return new ResetBudget(settings, maxConcurrentStreams);
    }

    /** Whether a new connection from {@code remote} must be closed at once: its IP is under a penalty. */
    public boolean refuses(SocketAddress remote) {
        final InetAddress ip = ip(remote);
        if (penalised == null || ip == null || penalised.getIfPresent(ip) == null) {
            return false;
        }
        metrics.connectionRefusedForResetFlood();
        return true;
    }

    /** A connection from {@code remote} went over its reset budget and is being closed. */
    void floodedBy(SocketAddress remote) {
        final InetAddress ip = ip(remote);
        log.warn("reset-flood", "closing the HTTP/2 connection from {}: more than {} stream resets within {}{}",
                 remote, settings.maxResets(), settings.window(),
                 penalised == null ? "" : "; its new connections are refused for " + settings.penalty());
        if (penalised != null && ip != null) {
            penalised.put(ip, Boolean.TRUE);
            metrics.penaltyStarted();
        }
    }

    /** The connection error that ends a flooding connection: GOAWAY ENHANCE_YOUR_CALM (RFC 9113 section 7). */
    static Http2Exception tooManyResets() {
        return Http2Exception.connectionError(Http2Error.ENHANCE_YOUR_CALM, "too many stream resets");
    }

    private static InetAddress ip(SocketAddress address) {
        return address instanceof InetSocketAddress inet ? inet.getAddress() : null;
    }
}
