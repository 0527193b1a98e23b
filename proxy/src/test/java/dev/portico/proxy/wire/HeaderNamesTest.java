package dev.portico.proxy.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.AsciiString;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HeaderNamesTest {

    @Test
    void everyConstantIsLowerCaseAndNamedAfterItsValue() throws Exception {
        final List<String> values = new ArrayList<>();
        for (Field field : HeaderNames.class.getFields()) {
            if (!Modifier.isStatic(field.getModifiers()) || field.getType() != AsciiString.class) {
                continue;
            }
            final String value = field.get(null).toString();
            values.add(value);
            // GRPC_STATUS_DETAILS_BIN is "grpc-status-details-bin"; TRAILER_PREFIX is "trailer-".
            final String name = field.getName();
            final String expected;
            if (name.endsWith("_PREFIX")) {
                expected = dashed(name.substring(0, name.length() - "_PREFIX".length())) + '-';
            } else if (name.equals("BINARY_SUFFIX")) {
                expected = "-bin";
            } else {
                expected = dashed(name);
            }
            assertThat(value).as(name).isEqualTo(expected);
        }
        assertThat(values).doesNotHaveDuplicates()
                          .contains("grpc-status", "grpc-message", "grpc-status-details-bin", "grpc-timeout",
                                    "grpc-encoding", "grpc-accept-encoding", "x-grpc-web", "x-user-agent",
                                    "connect-protocol-version", "connect-timeout-ms",
                                    "connect-content-encoding", "connect-accept-encoding", "trailer-", "-bin");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "upgrade", "trailer",
            "host", "content-length", "http2-settings", ":path", ":authority", ":method", ":scheme", ":status",
            "Connection",
    })
    void hopByHopAndPseudoHeadersAreRecognised(String name) {
        assertThat(HeaderNames.isHopByHop(name)).isTrue();
        assertThat(HeaderNames.isHopByHop(AsciiString.of(name))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = { "", "authorization", "grpc-timeout", "content-type", "user-agent", "tea", "t",
                             "trailers", "x-connection", "hostname", "trailer-grpc-status" })
    void endToEndHeadersAreNotHopByHop(String name) {
        assertThat(HeaderNames.isHopByHop(name)).isFalse();
    }

    private static String dashed(String constantName) {
        return constantName.toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
