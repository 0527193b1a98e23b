package dev.portico.upstream;

import static java.util.Objects.requireNonNull;

import dev.portico.config.HostAndPort;
import java.net.Inet6Address;
import java.net.InetSocketAddress;

/**
 * One upstream server Portico connects to: an address, and the {@code host:port} it was configured as. A DNS
 * name in the configuration gives one endpoint per address it resolves to, all with the same {@code target}.
 *
 * @param target  the configured {@code host:port}; its host is the default TLS authority
 * @param address the resolved address dialled
 */
public record Endpoint(HostAndPort target, InetSocketAddress address) {

    public Endpoint {
        requireNonNull(target, "target");
        requireNonNull(address, "address");
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("address must be resolved, got " + address);
        }
    }

    /** The address as {@code ip:port}, with brackets around IPv6. */
    public String addressString() {
        final String ip = address.getAddress().getHostAddress();
        return (address.getAddress() instanceof Inet6Address ? "[" + ip + "]" : ip) + ':' + address.getPort();
    }

    /** {@code 10.0.0.5:50051}, or {@code users.svc/10.0.0.5:50051} when it was configured by name. */
    @Override
    public String toString() {
        final String ip = address.getAddress().getHostAddress();
        return target.host().equals(ip) ? addressString() : target.host() + '/' + addressString();
    }
}
