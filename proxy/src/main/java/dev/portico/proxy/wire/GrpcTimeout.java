package dev.portico.proxy.wire;

import java.util.concurrent.TimeUnit;

/**
 * The {@code grpc-timeout} header. PROTOCOL-HTTP2.md:
 * {@code Timeout → "grpc-timeout" TimeoutValue TimeoutUnit}, where TimeoutValue is a positive integer of at
 * most 8 ASCII digits and TimeoutUnit one of {@code H M S m u n} (hours, minutes, seconds, milliseconds,
 * microseconds, nanoseconds). Units are case-sensitive: {@code "10s"} is not a timeout. Parsing is strict:
 * no sign, no whitespace, nothing but digits and one unit.
 */
public final class GrpcTimeout {

    /** PROTOCOL-HTTP2.md: TimeoutValue → {positive integer as ASCII string of at most 8 digits}. */
    public static final int MAX_DIGITS = 8;

    private static final long MAX_VALUE_EXCLUSIVE = 100_000_000L;

    // Smallest to largest; encode() picks the first unit in which the value fits in 8 digits.
    private static final char[] UNITS = { 'n', 'u', 'm', 'S', 'M', 'H' };
    private static final long[] UNIT_NANOS = {
        1L,
        TimeUnit.MICROSECONDS.toNanos(1),
        TimeUnit.MILLISECONDS.toNanos(1),
        TimeUnit.SECONDS.toNanos(1),
        TimeUnit.MINUTES.toNanos(1),
        TimeUnit.HOURS.toNanos(1),
    };

    private GrpcTimeout() {
    }

    /**
     * Parses a {@code grpc-timeout} value into nanoseconds. {@code "0n"} and other zero values parse to 0
     * (already expired), as grpc-go and connect-go do. Hour values beyond the range of a {@code long} of
     * nanoseconds (about 292 years) saturate to {@link Long#MAX_VALUE}.
     *
     * @throws ProtocolException with {@link RpcCode#INVALID_ARGUMENT}, quoting the value, if it is malformed
     */
    public static long parseNanos(CharSequence value) throws ProtocolException {
        final int length = value.length();
        if (length < 2 || length > MAX_DIGITS + 1) {
            throw malformed(value);
        }
        long amount = 0;
        for (int i = 0; i < length - 1; i++) {
            final char c = value.charAt(i);
            // Character.isDigit would accept non-ASCII digits; the grammar allows only ASCII.
            if (c < '0' || c > '9') {
                throw malformed(value);
            }
            amount = amount * 10 + (c - '0');
        }
        final long unitNanos = unitNanos(value.charAt(length - 1));
        if (unitNanos == 0) {
            throw malformed(value);
        }
        // 8 digits of minutes still fit in a long (6.0e18 ns); 8 digits of hours may not (3.6e20 ns).
        if (amount > Long.MAX_VALUE / unitNanos) {
            return Long.MAX_VALUE;
        }
        return amount * unitNanos;
    }

    /**
     * Encodes a timeout in the smallest unit whose value has at most 8 digits (as connect-go does), so the
     * precision lost is under one unit and the value is never rounded up. A value of 0 or below encodes as
     * {@code "0n"}: the deadline has passed. {@link Long#MAX_VALUE} encodes as {@code "2562047H"}.
     */
    public static String encode(long nanos) {
        if (nanos <= 0) {
            return "0n";
        }
        for (int i = 0; i < UNITS.length; i++) {
            final long amount = nanos / UNIT_NANOS[i];
            if (amount < MAX_VALUE_EXCLUSIVE) {
                return Long.toString(amount) + UNITS[i];
            }
        }
        // Unreachable: Long.MAX_VALUE nanoseconds is about 2.6 million hours.
        throw new AssertionError("unencodable timeout " + nanos);
    }

    private static long unitNanos(char unit) {
        for (int i = 0; i < UNITS.length; i++) {
            if (UNITS[i] == unit) {
                return UNIT_NANOS[i];
            }
        }
        return 0;
    }

    private static ProtocolException malformed(CharSequence value) {
        return new ProtocolException(RpcCode.INVALID_ARGUMENT,
                                     "malformed grpc-timeout " + QuotedValue.of(value) +
                                     ": expected 1-8 ASCII digits and a unit of H, M, S, m, u or n");
    }
}
