package dev.portico.upstream;

import static java.util.Objects.requireNonNull;

import dev.portico.config.HostAndPort;
import dev.portico.config.LimitSettings;
import dev.portico.config.UpstreamSettings;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Round robin over a fixed list of endpoints, one grpc-java channel each.
 *
 * <p>Health checking and ejection are not done here: a call to a dead endpoint fails with the
 * channel's own UNAVAILABLE.
 */
public final class StaticUpstreamPool implements UpstreamPool {
    private static final Logger log = LoggerFactory.getLogger(StaticUpstreamPool.class);

    private final List<PickResult.Picked> targets;
    private final List<ManagedChannel> channels;
    private final AtomicInteger next = new AtomicInteger();

    public StaticUpstreamPool(UpstreamSettings upstream, LimitSettings limits) {
        requireNonNull(upstream, "upstream");
        requireNonNull(limits, "limits");
        final List<PickResult.Picked> picks = new ArrayList<>();
        final List<ManagedChannel> opened = new ArrayList<>();
        for (HostAndPort endpoint : upstream.endpoints()) {
            final ManagedChannel channel = openChannel(endpoint, upstream, limits);
            opened.add(channel);
            picks.add(new PickResult.Picked(endpoint, channel));
        }
        this.targets = List.copyOf(picks);
        this.channels = List.copyOf(opened);
        log.info("upstream endpoints: {}", upstream.endpoints());
    }

    private static ManagedChannel openChannel(HostAndPort endpoint, UpstreamSettings upstream,
                                              LimitSettings limits) {
        final NettyChannelBuilder builder = NettyChannelBuilder.forAddress(endpoint.host(), endpoint.port())
                .maxInboundMessageSize(limits.maxMessageBytes())
                .maxInboundMetadataSize(limits.maxHeaderListBytes())
                .keepAliveTime(upstream.keepAliveTime().toNanos(), TimeUnit.NANOSECONDS)
                // Portico never replays a call: a retry buffer would hold request messages in memory.
                .disableRetry()
                .withOption(io.grpc.netty.shaded.io.netty.channel.ChannelOption.CONNECT_TIMEOUT_MILLIS,
                            (int) upstream.connectTimeout().toMillis());
        if (upstream.plaintext()) {
            builder.usePlaintext();
        } else {
            builder.useTransportSecurity();
        }
        return builder.build();
    }

    @Override
    public PickResult pick(String fullMethodName) {
        if (targets.isEmpty()) {
            return new PickResult.NoEndpoint("no upstream endpoint is configured");
        }
        // Mask the sign bit so the index stays valid after the counter wraps.
        return targets.get((next.getAndIncrement() & Integer.MAX_VALUE) % targets.size());
    }

    @Override
    public void close() {
        channels.forEach(ManagedChannel::shutdown);
        for (ManagedChannel channel : channels) {
            try {
                if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
                    channel.shutdownNow();
                }
            } catch (InterruptedException e) {
                channel.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }
}
