package dev.portico.upstream;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.resolver.HostsFileEntriesProvider;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.NoopDnsCache;
import io.netty.resolver.dns.NoopDnsCnameCache;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves names afresh on every call, so that a re-resolution every {@code dns-refresh-interval} sees the
 * current records: the hosts file, read again each time, and otherwise DNS through Netty's resolver (name
 * servers, search domains and {@code ndots} from {@code /etc/resolv.conf}), with no cache. The JVM's own
 * resolver would answer from its positive cache ({@code networkaddress.cache.ttl}, 30 s by default), so that
 * a Kubernetes headless Service's pods joined and left up to 30 s late.
 *
 * <p><b>Threads:</b> {@link #resolve} blocks (Portico's DNS thread calls it); the queries run on one daemon
 * event loop of the resolver's own, started with the first query.
 */
public final class DnsEndpointResolver implements EndpointResolver {
    /** Longest wait for one name: Netty's resolver gives up on a query after 5 s and tries again. */
    private static final long RESOLVE_TIMEOUT_SECONDS = 30;

    private static final Logger log = LoggerFactory.getLogger(DnsEndpointResolver.class);

    /** Null: the platform's hosts file. */
    private final File hostsFile;
    private EventLoopGroup group;
    private DnsNameResolver dns;
    private boolean closed;
    /** The last hosts-file error logged, so that a lasting one is logged once; DNS thread only. */
    private String lastHostsFileProblem;

    private DnsEndpointResolver(File hostsFile) {
        this.hostsFile = hostsFile;
    }

    /** With the platform's hosts file ({@code /etc/hosts}) and name servers. */
    public static DnsEndpointResolver system() {
        return new DnsEndpointResolver(null);
    }

    /** With {@code hostsFile} instead of the platform's, and the platform's name servers. */
    public static DnsEndpointResolver withHostsFile(Path hostsFile) {
        return new DnsEndpointResolver(hostsFile.toFile());
    }

    @Override
    public List<InetAddress> resolve(String host) throws UnknownHostException {
        final Optional<List<InetAddress>> listed = fromHostsFile(host);
        if (listed.isPresent()) {
            return listed.get();
        }
        final Future<List<InetAddress>> answer = dns().resolveAll(host);
        try {
            if (!answer.await(RESOLVE_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                answer.cancel(false);
                throw new IllegalStateException("no DNS answer for " + host + " within "
                                                + RESOLVE_TIMEOUT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while resolving " + host, e);
        }
        if (answer.isSuccess()) {
            return List.copyOf(answer.getNow());
        }
        if (answer.cause() instanceof UnknownHostException unknown) {
            throw unknown;
        }
        throw new IllegalStateException("resolving " + host + " failed: " + answer.cause(), answer.cause());
    }

    /**
     * Every address the hosts file lists for {@code host}, IPv4 first, read now (Netty's own hosts-file
     * resolver reads it once, and gives one address per name).
     */
    private Optional<List<InetAddress>> fromHostsFile(String host) {
        final HostsFileEntriesProvider entries;
        try {
            entries = hostsFile == null ? HostsFileEntriesProvider.parser().parse()
                                        : HostsFileEntriesProvider.parser().parse(hostsFile);
        } catch (IOException e) {
            // An unreadable hosts file lists nothing: DNS still answers, as with the platform's resolver.
            final String problem = e.toString();
            if (!problem.equals(lastHostsFileProblem)) {
                lastHostsFileProblem = problem;
                log.warn("cannot read the hosts file; asking DNS only: {}", problem);
            }
            return Optional.empty();
        }
        lastHostsFileProblem = null;
        // The parser lowercases names (ASCII): host names are case-insensitive.
        final String name = host.toLowerCase(Locale.ROOT);
        final List<InetAddress> addresses = new ArrayList<>();
        addresses.addAll(entries.ipv4Entries().getOrDefault(name, List.of()));
        addresses.addAll(entries.ipv6Entries().getOrDefault(name, List.of()));
        return addresses.isEmpty() ? Optional.empty() : Optional.of(List.copyOf(addresses));
    }

    private synchronized DnsNameResolver dns() {
        if (closed) {
            throw new IllegalStateException("the resolver is closed");
        }
        if (dns == null) {
            group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("portico-dns-query", true),
                                                    NioIoHandler.newFactory());
            dns = new DnsNameResolverBuilder(group.next())
                    .datagramChannelType(NioDatagramChannel.class)
                    // Every resolution asks the name servers: the refresh interval is the only cache.
                    .resolveCache(NoopDnsCache.INSTANCE)
                    .cnameCache(NoopDnsCnameCache.INSTANCE)
                    // The hosts file is read above, on every resolution.
                    .hostsFileEntriesResolver((name, types) -> null)
                    .build();
        }
        return dns;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (dns != null) {
            dns.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }
}
