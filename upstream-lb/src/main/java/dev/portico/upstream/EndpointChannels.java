package dev.portico.upstream;

import static java.util.Objects.requireNonNull;

import dev.portico.config.LimitSettings;
import dev.portico.config.TlsKeyMaterial;
import dev.portico.config.UpstreamChannelSettings;
import dev.portico.config.UpstreamTlsSettings;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;

/**
 * Builds the grpc-java channel of each endpoint of one cluster: h2c or TLS (optionally mutual) with the
 * cluster's trust, keep-alive and connect timeout, and Portico's message and metadata limits.
 */
final class EndpointChannels {
    private final UpstreamChannelSettings settings;
    private final LimitSettings limits;
    private final ChannelCredentials credentials;
    private final UpstreamLoops loops;

    /**
     * Each endpoint gets one channel per event loop of {@code loops} (a {@link LoopAffineChannel}).
     *
     * @throws UncheckedIOException when a TLS file cannot be read
     */
    EndpointChannels(UpstreamChannelSettings settings, LimitSettings limits, UpstreamLoops loops) {
        this.settings = requireNonNull(settings, "settings");
        this.limits = requireNonNull(limits, "limits");
        this.loops = requireNonNull(loops, "loops");
        this.credentials = settings.plaintext() ? InsecureChannelCredentials.create() : tls(settings.tls());
    }

    private static ChannelCredentials tls(UpstreamTlsSettings tls) {
        final TlsChannelCredentials.Builder builder = TlsChannelCredentials.newBuilder();
        try {
            if (tls.trustCertCollectionFile().isPresent()) {
                builder.trustManager(tls.trustCertCollectionFile().get().toFile());
            }
            if (tls.mutual()) {
                builder.keyManager(keyManagers(tls.clientKeyMaterial().orElseThrow()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading the upstream TLS files: " + e.getMessage(), e);
        }
        return builder.build();
    }

    /**
     * The client key as key managers: the configuration read it already (any PEM form), so it goes to
     * grpc-java as a key, not as a file grpc-java would read again (and only in PKCS#8).
     */
    private static KeyManager[] keyManagers(TlsKeyMaterial material) {
        try {
            final KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            final char[] password = new char[0]; // in memory only; the store never leaves this method
            store.setKeyEntry("client", material.privateKey(), password, material.certificateArray());
            final KeyManagerFactory factory =
                    KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            factory.init(store, password);
            return factory.getKeyManagers();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("the upstream client key cannot be used: " + e.getMessage(), e);
        }
    }

    /** New channels to {@code endpoint}, one per event loop; each connects on its first call. */
    ManagedChannel open(Endpoint endpoint) {
        final List<EventLoop> eventLoops = loops.loops();
        final List<ManagedChannel> perLoop = new ArrayList<>();
        boolean ok = false;
        try {
            for (EventLoop loop : eventLoops) {
                perLoop.add(builder(endpoint).eventLoopGroup(loop).channelType(loops.channelType()).build());
            }
            final LoopAffineChannel channel = new LoopAffineChannel(eventLoops, perLoop);
            ok = true;
            return channel;
        } finally {
            if (!ok) {
                perLoop.forEach(ManagedChannel::shutdownNow);
            }
        }
    }

    private NettyChannelBuilder builder(Endpoint endpoint) {
        return NettyChannelBuilder.forAddress(endpoint.address(), credentials)
                // TLS checks the upstream certificate against the name the endpoint was configured by, not the
                // address a DNS name resolved to; :authority says the same.
                .overrideAuthority(settings.tls().authority().orElse(endpoint.target().toString()))
                .maxInboundMessageSize(limits.maxMessageBytes())
                .maxInboundMetadataSize(limits.maxHeaderListBytes())
                // gRFC A8. On GOAWAY too_many_pings, grpc-netty doubles this channel's keep-alive time (one
                // AtomicBackoff per built channel, kept across reconnections): the backoff lives as long as the
                // endpoint's channel does. TooManyPings reports it.
                .keepAliveTime(settings.keepAliveTime().toNanos(), TimeUnit.NANOSECONDS)
                .keepAliveTimeout(settings.keepAliveTimeout().toNanos(), TimeUnit.NANOSECONDS)
                .keepAliveWithoutCalls(settings.keepAliveWithoutCalls())
                // Portico retries only calls that sent nothing, itself (UpstreamAttempt); grpc-java's retry
                // buffer would hold request messages in memory.
                .disableRetry()
                .withOption(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                            (int) Math.min(Integer.MAX_VALUE, settings.connectTimeout().toMillis()))
                // The front end's allocator: one pool of buffers for both sides of a call.
                .withOption(ChannelOption.ALLOCATOR, ByteBufAllocator.DEFAULT);
    }
}
