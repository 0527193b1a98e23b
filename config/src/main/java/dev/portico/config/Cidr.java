package dev.portico.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * A range of IP addresses in CIDR notation ({@code 10.0.0.0/8}, {@code fd00::/8}); a bare address is the
 * range of that one address. Immutable.
 */
public final class Cidr {
    private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    private final byte[] network;
    private final int prefixLength;
    private final String text;

    private Cidr(byte[] network, int prefixLength, String text) {
        this.network = network;
        this.prefixLength = prefixLength;
        this.text = text;
    }

    /**
     * Parses {@code address[/prefix-length]}; the address must be a literal (no name is ever looked up).
     *
     * @throws IllegalArgumentException with a reason, when {@code text} is not such a range
     */
    public static Cidr parse(String text) {
        final int slash = text.indexOf('/');
        final String address = slash < 0 ? text : text.substring(0, slash);
        // Literals only: InetAddress.getByName would resolve a name through DNS.
        if (!IPV4.matcher(address).matches() && !IPV6.matcher(address).matches()) {
            throw new IllegalArgumentException("not an IP address or CIDR range (such as 10.0.0.0/8 or fd00::/8)");
        }
        final byte[] bytes;
        try {
            bytes = InetAddress.getByName(address).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address: " + address, e);
        }
        final int bits = bytes.length * 8;
        int prefix = bits;
        if (slash >= 0) {
            final String length = text.substring(slash + 1);
            if (!length.matches("[0-9]{1,3}") || Integer.parseInt(length) > bits) {
                throw new IllegalArgumentException("the prefix length must be 0 to " + bits + ", got " + length);
            }
            prefix = Integer.parseInt(length);
        }
        return new Cidr(mask(bytes, prefix), prefix, text);
    }

    /** Whether {@code address} is in this range; an IPv4 address is never in an IPv6 range, nor the reverse. */
    public boolean contains(InetAddress address) {
        final byte[] bytes = address.getAddress();
        return bytes.length == network.length && Arrays.equals(mask(bytes, prefixLength), network);
    }

    private static byte[] mask(byte[] address, int prefix) {
        final byte[] masked = address.clone();
        for (int i = 0; i < masked.length; i++) {
            final int keep = Math.max(0, Math.min(8, prefix - i * 8));
            masked[i] &= (byte) (0xff << (8 - keep));
        }
        return masked;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr other && prefixLength == other.prefixLength && Arrays.equals(network, other.network);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(network) + prefixLength;
    }

    @Override
    public String toString() {
        return text;
    }
}
