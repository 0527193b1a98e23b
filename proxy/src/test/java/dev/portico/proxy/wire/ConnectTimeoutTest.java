package dev.portico.proxy.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ConnectTimeoutTest {

    @ParameterizedTest(name = "\"{0}\" ms = {1} ns")
    @CsvSource({
            "0,          0",
            "1,          1000000",
            "250,        250000000",
            "0000000001, 1000000",
            "9999999999, 9999999999000000",
    })
    void upToTenDigitsOfMillisecondsParse(String value, long nanos) throws Exception {
        assertThat(ConnectTimeout.parseNanos(value)).isEqualTo(nanos);
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = { "", "12345678901", "00000000001", "+1", "-1", " 1", "1 ", "1.0", "1e3", "0x10",
                             "1m", "\u0661" })
    void malformedValueIsRejectedQuotingIt(String value) {
        final ProtocolException e = catchThrowableOfType(ProtocolException.class,
                                                         () -> ConnectTimeout.parseNanos(value));
        assertThat(e.code()).isEqualTo(RpcCode.INVALID_ARGUMENT);
        assertThat(e.getMessage()).contains("connect-timeout-ms");
        if (value.chars().allMatch(c -> c >= 0x20 && c < 0x7F)) {
            assertThat(e.getMessage()).contains('"' + value + '"');
        }
    }
}
