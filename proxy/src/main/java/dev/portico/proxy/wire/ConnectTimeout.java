package dev.portico.proxy.wire;

import java.util.concurrent.TimeUnit;

/**
 * The {@code Connect-Timeout-Ms} header. Connect spec: {@code Timeout-Milliseconds → {positive integer as
 * ASCII string of at most 10 digits}}. Parsing is strict: ASCII digits only, no sign, no whitespace.
 */
public final class ConnectTimeout {

    /** Connect spec: at most 10 digits. */
    public static final int MAX_DIGITS = 10;

    private ConnectTimeout() {
    }

    /**
     * Parses a {@code Connect-Timeout-Ms} value into nanoseconds. 10 digits of milliseconds always fit in a
     * {@code long} of nanoseconds. A value of 0 parses to 0 (already expired).
     *
     * @throws ProtocolException with {@link RpcCode#INVALID_ARGUMENT}, quoting the value, if it is malformed
     */
    public static long parseNanos(CharSequence value) throws ProtocolException {
        final int length = value.length();
        if (length < 1 || length > MAX_DIGITS) {
            throw malformed(value);
        }
        long millis = 0;
        for (int i = 0; i < length; i++) {
            final char c = value.charAt(i);
            if (c < '0' || c > '9') {
                throw malformed(value);
            }
            millis = millis * 10 + (c - '0');
        }
        return TimeUnit.MILLISECONDS.toNanos(millis);
    }

    private static ProtocolException malformed(CharSequence value) {
        return new ProtocolException(RpcCode.INVALID_ARGUMENT,
                                     "malformed connect-timeout-ms " + QuotedValue.of(value) +
                                     ": expected 1-10 ASCII digits");
    }
}
