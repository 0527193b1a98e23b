package dev.portico.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HostAndPortTest {

    @Test
    void hostAndPortAreSplitAtTheLastColon() {
        assertThat(HostAndPort.parse("backend.internal:50051"))
                .isEqualTo(new HostAndPort("backend.internal", 50051));
        assertThat(HostAndPort.parse("10.0.0.7:8443")).isEqualTo(new HostAndPort("10.0.0.7", 8443));
    }

    @Test
    void bracketedIpv6IsParsedWithoutBrackets() {
        assertThat(HostAndPort.parse("[::1]:50051")).isEqualTo(new HostAndPort("::1", 50051));
        assertThat(HostAndPort.parse("[fe80::1%eth0]:80").host()).isEqualTo("fe80::1%eth0");
    }

    @ParameterizedTest
    @ValueSource(strings = {"backend:50051", "10.0.0.7:1", "[::1]:65535", "[2001:db8::5]:443"})
    void toStringReadsBackThroughParse(String text) {
        assertThat(HostAndPort.parse(text).toString()).isEqualTo(text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "backend", "backend:", ":50051", "backend:0", "backend:65536", "backend:+80",
                            "backend: 80", "backend:80x", "::1:50051", "[::1]50051", "[::1]", "[nope]:80",
                            "back end:80", "http://backend:80", "backend:123456"})
    void malformedEndpointsAreRejected(String text) {
        assertThatThrownBy(() -> HostAndPort.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void unbracketedIpv6ExplainsTheFix() {
        assertThatThrownBy(() -> HostAndPort.parse("::1:50051")).hasMessageContaining("[::1]:8080");
    }

    @Test
    void constructorRejectsAPortThatCannotBeDialled() {
        assertThatThrownBy(() -> new HostAndPort("backend", 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
