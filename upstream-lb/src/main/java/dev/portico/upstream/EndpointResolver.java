package dev.portico.upstream;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Turns a host name into addresses: every A and AAAA record becomes an endpoint. Called on Portico's DNS
 * thread, never on an event loop, so it may block. Tests replace it to stage changing answers.
 */
@FunctionalInterface
public interface EndpointResolver {

    /** The JVM's resolver ({@link InetAddress#getAllByName}); it honours {@code networkaddress.cache.ttl}. */
    EndpointResolver SYSTEM = host -> List.of(InetAddress.getAllByName(host));

    /**
     * The addresses of {@code host}, in the order endpoints should be tried.
     *
     * @throws UnknownHostException when the name does not resolve (the previous answer is then kept)
     */
    List<InetAddress> resolve(String host) throws UnknownHostException;
}
