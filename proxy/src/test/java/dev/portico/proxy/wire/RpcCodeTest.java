package dev.portico.proxy.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RpcCodeTest {

    @ParameterizedTest(name = "{1} = {0}")
    @CsvSource({
            "0,  OK,                  ok,                  200",
            "1,  CANCELLED,           canceled,            499",
            "2,  UNKNOWN,             unknown,             500",
            "3,  INVALID_ARGUMENT,    invalid_argument,    400",
            "4,  DEADLINE_EXCEEDED,   deadline_exceeded,   504",
            "5,  NOT_FOUND,           not_found,           404",
            "6,  ALREADY_EXISTS,      already_exists,      409",
            "7,  PERMISSION_DENIED,   permission_denied,   403",
            "8,  RESOURCE_EXHAUSTED,  resource_exhausted,  429",
            "9,  FAILED_PRECONDITION, failed_precondition, 400",
            "10, ABORTED,             aborted,             409",
            "11, OUT_OF_RANGE,        out_of_range,        400",
            "12, UNIMPLEMENTED,       unimplemented,       501",
            "13, INTERNAL,            internal,            500",
            "14, UNAVAILABLE,         unavailable,         503",
            "15, DATA_LOSS,           data_loss,           500",
            "16, UNAUTHENTICATED,     unauthenticated,     401",
    })
    void eachCodeHasItsNumberConnectNameAndConnectHttpStatus(int value, RpcCode code, String connectName,
                                                             int httpStatus) {
        assertThat(code.value()).isEqualTo(value);
        assertThat(RpcCode.fromValue(value)).isSameAs(code);
        assertThat(code.connectName()).isEqualTo(connectName);
        assertThat(code.httpStatus()).isEqualTo(httpStatus);
    }

    @ParameterizedTest
    @ValueSource(ints = { -1, 17, 100, Integer.MIN_VALUE, Integer.MAX_VALUE })
    void valuesOutsideTheTableAreUnknown(int value) {
        assertThat(RpcCode.fromValue(value)).isSameAs(RpcCode.UNKNOWN);
    }

    @ParameterizedTest(name = "HTTP {0} → {1}")
    @CsvSource({
            "400, INTERNAL", "401, UNAUTHENTICATED", "403, PERMISSION_DENIED", "404, UNIMPLEMENTED",
            "429, UNAVAILABLE", "431, INTERNAL", "502, UNAVAILABLE", "503, UNAVAILABLE", "504, UNAVAILABLE",
            // http-grpc-status-mapping.md: everything else is UNKNOWN, 200 included (a real OK has a status).
            "200, UNKNOWN", "204, UNKNOWN", "409, UNKNOWN", "413, UNKNOWN", "500, UNKNOWN", "501, UNKNOWN",
            "0, UNKNOWN",
    })
    void httpStatusWithoutGrpcStatusMapsByTheGrpcTable(int httpStatus, RpcCode code) {
        assertThat(RpcCode.fromHttpStatus(httpStatus)).isSameAs(code);
    }

    @Test
    void connectNamesAreUnique() {
        assertThat(Arrays.stream(RpcCode.values()).map(RpcCode::connectName).distinct())
                .hasSize(RpcCode.values().length);
    }
}
