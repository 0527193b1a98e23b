package dev.portico.upstream;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Turns a host name into addresses: every A and AAAA record becomes an endpoint. Called on Portico's DNS
 * thread, never on an event loop, so it may block. Portico uses {@link DnsEndpointResolver}; tests replace it
 * to stage changing answers. The upstream pool owns its resolver and closes it.
 */
@FunctionalInterface
public interface EndpointResolver extends AutoCloseable {

    /**
     * The JVM's resolver ({@link InetAddress#getAllByName}). It answers from the JVM's positive cache
     * ({@code networkaddress.cache.ttl}, 30 s by default), so changes reach the pool late: for tests with fixed
     * names only.
     */
    EndpointResolver SYSTEM = host -> List.of(InetAddress.getAllByName(host));

    /**
     * The addresses of {@code host}, in the order endpoints should be tried.
     *
     * @throws UnknownHostException when the name does not resolve (the previous answer is then kept)
     */
    List<InetAddress> resolve(String host) throws UnknownHostException;

    /** Releases the resolver's threads and sockets, if it has any. */
    @Override
    default void close() {
    }
}
