package dev.portico.proxy.transport;

import static java.util.Objects.requireNonNull;

import dev.portico.config.ConnectionLimitSettings;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * On the listening channel, before Netty's acceptor: keeps the number of open client connections (in all,
 * and per client IP when configured) under the limits by closing a new connection over them as soon as it
 * is accepted, before it is registered with an event loop or given a pipeline. Connections already open are
 * never touched, and new ones are admitted again as soon as others close.
 *
 * <p>It also takes the listener's accept failures (EMFILE "Too many open files", ENFILE, ...): Netty would
 * log each with a stack trace at the tail of the pipeline. Here each is counted, logged through a
 * {@link ThrottledLog}, and accepting pauses for a second, as Netty's acceptor does, so that a full file
 * table does not spin the loop.
 *
 * <p>Admission runs on the listener's event loop; connections close on their own loops, so the counts are
 * atomic.
 */
@ChannelHandler.Sharable
public final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
    /** How long accepting pauses after a failure. */
    private static final long ACCEPT_PAUSE_MILLIS = 1000;

    private final int maxConnections;
    private final int maxConnectionsPerIp;
    private final ConnectionEvents events;
    private final ThrottledLog log;
    private final AtomicInteger open = new AtomicInteger();
    private final Map<InetAddress, Integer> openPerIp = new ConcurrentHashMap<>();

    public ConnectionLimiter(ConnectionLimitSettings limits, ConnectionEvents events, ThrottledLog log) {
        requireNonNull(limits, "limits");
        this.maxConnections = limits.maxConnections();
        this.maxConnectionsPerIp = limits.maxConnectionsPerIp();
        this.events = requireNonNull(events, "events");
        this.log = requireNonNull(log, "log");
    }

    /** Client connections open now (admitted and not yet closed). */
    public int open() {
        return open.get();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Channel child)) {
            ctx.fireChannelRead(msg);
            return;
        }
        events.accepted();
        final CloseReason refusal = admit(child);
        if (refusal != null) {
            events.rejected(refusal);
            log.warn(refusal.tag().replace('_', '-'), "closed a new connection from {}: {} reached",
                     child.remoteAddress(), refusal == CloseReason.MAX_CONNECTIONS
                             ? "portico.listen.max-connections (" + maxConnections + ")"
                             : "portico.listen.max-connections-per-ip (" + maxConnectionsPerIp + ")");
            // Not yet registered with a loop: closing the socket is all there is to do.
            child.unsafe().closeForcibly();
            return;
        }
        child.closeFuture().addListener(f -> {
            release(child);
            final CloseReason reason = child.attr(CloseReason.ATTRIBUTE).get();
            events.closed(reason == null ? CloseReason.OTHER : reason, ConnectionVersion.of(child));
        });
        ctx.fireChannelRead(child);
    }

    /** Counts {@code child} in; returns the limit it is over instead, counting nothing. */
    private CloseReason admit(Channel child) {
        if (open.get() >= maxConnections) {
            return CloseReason.MAX_CONNECTIONS;
        }
        final InetAddress ip = ipOf(child.remoteAddress());
        if (maxConnectionsPerIp > 0 && ip != null) {
            final boolean[] admitted = {false};
            openPerIp.compute(ip, (k, count) -> {
                final int current = count == null ? 0 : count;
                if (current >= maxConnectionsPerIp) {
                    return count;
                }
                admitted[0] = true;
                return current + 1;
            });
            if (!admitted[0]) {
                return CloseReason.MAX_CONNECTIONS_PER_IP;
            }
        }
        open.incrementAndGet();
        return null;
    }

    private void release(Channel child) {
        open.decrementAndGet();
        final InetAddress ip = ipOf(child.remoteAddress());
        if (maxConnectionsPerIp > 0 && ip != null) {
            openPerIp.computeIfPresent(ip, (k, count) -> count <= 1 ? null : count - 1);
        }
    }

    /** The client's IP; the remote address stays readable after the channel closed. */
    private static InetAddress ipOf(SocketAddress address) {
        return address instanceof InetSocketAddress inet ? inet.getAddress() : null;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Accept failures reach the listener's pipeline as exceptions; the listener itself stays open.
        events.acceptFailed();
        log.warn("accept-error", "accepting a connection failed ({}); the connections already open are served "
                                 + "on, accepting again in 1 s", cause);
        final Channel listener = ctx.channel();
        if (listener.config().isAutoRead()) {
            listener.config().setAutoRead(false);
            listener.eventLoop().schedule(() -> listener.config().setAutoRead(true),
                                          ACCEPT_PAUSE_MILLIS, TimeUnit.MILLISECONDS);
        }
    }
}
