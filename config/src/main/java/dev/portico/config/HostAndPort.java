package dev.portico.config;

import static java.util.Objects.requireNonNull;

import java.util.regex.Pattern;

/**
 * A network endpoint to connect to. {@code host} is a DNS name, an IPv4 literal or an IPv6 literal (kept
 * without brackets); {@code port} is 1..65535, since port 0 cannot be dialled.
 */
public record HostAndPort(String host, int port) {

    // Deliberately loose: DNS names (underscores appear in container names), IPv4 literals. Resolution
    // happens in the channel, which gives the real error for a name that does not exist.
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9._-]*[A-Za-z0-9_])?");
    // IPv6 literal, optionally with a zone id (fe80::1%eth0).
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9._-]+)?");
    // House rule: strict digits only, so "+80" or " 80" are errors rather than silently accepted.
    private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");

    public HostAndPort {
        requireNonNull(host, "host");
        if (!NAME.matcher(host).matches() && !IPV6.matcher(host).matches()) {
            throw new IllegalArgumentException("invalid host \"" + host + "\"");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be between 1 and 65535, got " + port);
        }
    }

    /**
     * Parses {@code host:port} or {@code [ipv6]:port}.
     *
     * @throws IllegalArgumentException with a message that says what is wrong with {@code s}
     */
    public static HostAndPort parse(String s) {
        requireNonNull(s, "s");
        final String host;
        final String port;
        if (s.startsWith("[")) {
            final int close = s.indexOf(']');
            if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("expected [ipv6]:port, got \"" + s + "\"");
            }
            host = s.substring(1, close);
            port = s.substring(close + 2);
            if (!IPV6.matcher(host).matches()) {
                throw new IllegalArgumentException("invalid IPv6 address in \"" + s + "\"");
            }
        } else {
            final int colon = s.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("expected host:port, got \"" + s + "\"");
            }
            host = s.substring(0, colon);
            port = s.substring(colon + 1);
            if (host.indexOf(':') >= 0) {
                throw new IllegalArgumentException(
                        "an IPv6 address needs brackets, as in [::1]:8080, got \"" + s + "\"");
            }
            if (!NAME.matcher(host).matches()) {
                throw new IllegalArgumentException("expected host:port with a valid host, got \"" + s + "\"");
            }
        }
        if (!PORT.matcher(port).matches()) {
            throw new IllegalArgumentException("expected a numeric port, got \"" + s + "\"");
        }
        final int number = Integer.parseInt(port);
        if (number < 1 || number > 65535) {
            throw new IllegalArgumentException("port must be between 1 and 65535, got \"" + s + "\"");
        }
        return new HostAndPort(host, number);
    }

    /** {@code host:port}, with brackets around an IPv6 literal; {@link #parse} reads it back. */
    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ':' + port;
    }
}
