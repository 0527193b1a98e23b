package dev.portico.proxy.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class MediaTypeTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(value = {
            "application/grpc                | application | grpc          | ''    | application/grpc",
            "application/grpc+proto          | application | grpc          | proto | application/grpc+proto",
            "application/grpc-web-text+proto | application | grpc-web-text | proto | " +
                    "application/grpc-web-text+proto",
            "APPLICATION/Grpc-Web+PROTO      | application | grpc-web      | proto | " +
                    "application/grpc-web+proto",
            "application/connect+json        | application | connect       | json  | application/connect+json",
            "application/vnd.a+b+json        | application | vnd.a+b       | json  | application/vnd.a+b+json",
            "'  application/json  '          | application | json          | ''    | application/json",
    }, delimiter = '|')
    void typeSubtypeAndSuffixAreSplitAndLowerCased(String value, String type, String subtype, String suffix,
                                                   String essence) throws Exception {
        final MediaType parsed = MediaType.parse(value);
        assertThat(parsed.type()).isEqualTo(type);
        assertThat(parsed.subtype()).isEqualTo(subtype);
        assertThat(parsed.suffix()).isEqualTo(suffix);
        assertThat(parsed.essence()).isEqualTo(essence);
        assertThat(parsed.params()).isEmpty();
    }

    @Test
    void parametersAreParsedWithLowerCaseNamesAndValuesAsSent() throws Exception {
        final MediaType parsed = MediaType.parse("application/grpc-web-text+proto; Charset=UTF-8 ;q=0.5");
        assertThat(parsed.essence()).isEqualTo("application/grpc-web-text+proto");
        assertThat(parsed.params()).containsExactly(Map.entry("charset", "UTF-8"), Map.entry("q", "0.5"));
    }

    @Test
    void quotedParameterValuesAreUnquoted() throws Exception {
        final MediaType parsed =
                MediaType.parse("application/connect+json;charset=\"utf-8\"; x=\"a \\\"b\\\";c\"");
        assertThat(parsed.params()).containsExactly(Map.entry("charset", "utf-8"), Map.entry("x", "a \"b\";c"));
    }

    @Test
    void emptyParametersAreAllowed() throws Exception {
        assertThat(MediaType.parse("application/json;").params()).isEmpty();
        assertThat(MediaType.parse("application/json; ;a=b;;").params()).containsExactly(Map.entry("a", "b"));
    }

    @Test
    void paramsAreImmutableAndRecordsCompareByValue() throws Exception {
        final MediaType parsed = MediaType.parse("Application/Proto; a=b");
        assertThat(parsed).isEqualTo(new MediaType("application", "proto", "", Map.of("a", "b")));
        assertThat(parsed.params()).isUnmodifiable();
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {
            "", "   ", "application", "application/", "/grpc", "application /grpc", "application/ grpc",
            "application/grpc+", "application/+proto", "application/grpc proto", "application/grpc;charset",
            "application/grpc; =utf-8", "application/grpc; charset=", "application/grpc; charset=\"utf-8",
            "application/grpc; a=b c", "application/grpc, text/plain", "application/grpc; a=1; A=2",
            "application/gr\u00e9pc", "application/grpc; a=\"\u0001\"",
    })
    void malformedMediaTypeIsRejected(String value) {
        final ProtocolException e = catchThrowableOfType(ProtocolException.class, () -> MediaType.parse(value));
        assertThat(e.code()).isEqualTo(RpcCode.INVALID_ARGUMENT);
        assertThat(e.getMessage()).startsWith("malformed media type");
    }
}
