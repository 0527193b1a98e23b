package dev.portico.proxy.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GrpcTimeoutTest {

    @ParameterizedTest(name = "\"{0}\" = {1} ns")
    @CsvSource({
            "1H,        3600000000000",
            "1M,        60000000000",
            "1S,        1000000000",
            "1m,        1000000",
            "1u,        1000",
            "1n,        1",
            "0n,        0",
            "00000001S, 1000000000",
            "99999999n, 99999999",
            "99999999S, 99999999000000000",
            // 8 digits of minutes is the largest value below the long range: 5.99999994e18 ns.
            "99999999M, 5999999940000000000",
            "2562047H,  9223369200000000000",
    })
    void everyUnitParsesToNanoseconds(String value, long nanos) throws Exception {
        assertThat(GrpcTimeout.parseNanos(value)).isEqualTo(nanos);
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = { "2562048H", "99999999H" })
    void hoursBeyondTheRangeOfLongNanosecondsSaturate(String value) throws Exception {
        assertThat(GrpcTimeout.parseNanos(value)).isEqualTo(Long.MAX_VALUE);
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {
            "", "S", "1", "999999999S", "000000001S", "+5S", "-1m", " 1S", "1S ", "1 S", "1s", "1h", "1U", "1N",
            "1.5S", "1e3m", "0x1S", "1SS", "\uff11S", "1\u00b5",
    })
    void malformedValueIsRejectedQuotingIt(String value) {
        final ProtocolException e = catchThrowableOfType(ProtocolException.class,
                                                         () -> GrpcTimeout.parseNanos(value));
        assertThat(e.code()).isEqualTo(RpcCode.INVALID_ARGUMENT);
        assertThat(e.getMessage()).contains("grpc-timeout");
        if (value.chars().allMatch(c -> c >= 0x20 && c < 0x7F)) {
            assertThat(e.getMessage()).contains('"' + value + '"');
        }
    }

    @Test
    void malformedValueWithControlCharactersIsQuotedSafely() {
        final ProtocolException e = catchThrowableOfType(ProtocolException.class,
                                                         () -> GrpcTimeout.parseNanos("1\r\nS"));
        assertThat(e.getMessage()).contains("\"1\\x0D\\x0AS\"").doesNotContain("\n");
    }

    @ParameterizedTest(name = "{0} ns → \"{1}\"")
    @CsvSource({
            "-1,                  0n",
            "0,                   0n",
            "1,                   1n",
            "99999999,            99999999n",
            "100000000,           100000u",
            "100000999,           100000u",
            "99999999999,         99999999u",
            "100000000000,        100000m",
            "99999999999999,      99999999m",
            "100000000000000,     100000S",
            "3600000000000000000, 60000000M",
            "9223372036854775807, 2562047H",
    })
    void encodeUsesTheSmallestUnitThatFitsInEightDigits(long nanos, String expected) {
        assertThat(GrpcTimeout.encode(nanos)).isEqualTo(expected);
    }

    @Test
    void encodedValuesParseBackWithinOneUnitAndNeverLonger() throws Exception {
        final Random random = new Random(7);
        for (int i = 0; i < 10_000; i++) {
            // Spread over every magnitude, not just the top of the range.
            final long nanos = (random.nextLong() & Long.MAX_VALUE) >>> random.nextInt(63);
            final String encoded = GrpcTimeout.encode(nanos);
            final long parsed = GrpcTimeout.parseNanos(encoded);
            assertThat(parsed).as(encoded).isLessThanOrEqualTo(nanos);
            assertThat(nanos - parsed).as(encoded).isLessThan(unitNanos(encoded));
            assertThat(encoded.length()).as(encoded).isLessThanOrEqualTo(GrpcTimeout.MAX_DIGITS + 1);
        }
    }

    @Test
    void valuesBelowOneHundredMillionNanosecondsRoundTripExactly() throws Exception {
        for (long nanos = 0; nanos < 100_000_000; nanos += 99_991) {
            assertThat(GrpcTimeout.parseNanos(GrpcTimeout.encode(nanos))).isEqualTo(nanos);
        }
    }

    @Test
    void parsedValuesReEncodeToTheSameDuration() throws Exception {
        for (String value : new String[] { "1H", "17M", "30S", "250m", "5u", "12345678n", "99999999M" }) {
            final long nanos = GrpcTimeout.parseNanos(value);
            assertThat(GrpcTimeout.parseNanos(GrpcTimeout.encode(nanos))).as(value).isEqualTo(nanos);
        }
    }

    private static long unitNanos(String encoded) {
        return switch (encoded.charAt(encoded.length() - 1)) {
            case 'n' -> 1;
            case 'u' -> TimeUnit.MICROSECONDS.toNanos(1);
            case 'm' -> TimeUnit.MILLISECONDS.toNanos(1);
            case 'S' -> TimeUnit.SECONDS.toNanos(1);
            case 'M' -> TimeUnit.MINUTES.toNanos(1);
            case 'H' -> TimeUnit.HOURS.toNanos(1);
            default -> throw new AssertionError(encoded);
        };
    }
}
