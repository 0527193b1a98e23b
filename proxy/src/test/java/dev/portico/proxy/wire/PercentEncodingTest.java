package dev.portico.proxy.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PercentEncodingTest {

    @ParameterizedTest(name = "\"{0}\" → \"{1}\"")
    @CsvSource(value = {
            "''                     | ''",
            "plain text: ok (#1)!   | plain text: ok (#1)!",
            "50%                    | 50%25",
            "tab\there              | tab%09here",
            "bell\u0007!            | bell%07!",
            "del\u007f              | del%7F",
            "caf\u00e9              | caf%C3%A9",
            "\u65e5\u672c           | %E6%97%A5%E6%9C%AC",
            "\ud83d\ude00           | %F0%9F%98%80",
            "~ and space kept       | ~ and space kept",
    }, delimiter = '|')
    void encodeEscapesBytesOutsidePrintableAsciiAndThePercentSign(String text, String encoded) {
        assertThat(PercentEncoding.encode(text)).isEqualTo(encoded);
        assertThat(PercentEncoding.decode(encoded)).isEqualTo(text);
    }

    @ParameterizedTest(name = "\"{0}\" → \"{1}\"")
    @CsvSource(value = {
            "%                 | %",
            "100%              | 100%",
            "%4                | %4",
            "%zz               | %zz",
            "%G1 ok            | %G1 ok",
            "%%41              | %A",
            "%c3%a9            | \u00e9",
            "%C3%a9            | \u00e9",
            "%E2%82            | \ufffd",
            "%FF               | \ufffd",
            "%\u0661\u0662     | %\u0661\u0662",
            "caf\u00e9 %zz %41 | caf\u00e9 %zz A",
    }, delimiter = '|')
    void decodeNeverFailsAndKeepsBadEscapesLiterally(String encoded, String decoded) {
        assertThat(PercentEncoding.decode(encoded)).isEqualTo(decoded);
    }

    @Test
    void randomUnicodeStringsRoundTrip() {
        final Random random = new Random(11);
        for (int i = 0; i < 2_000; i++) {
            final StringBuilder text = new StringBuilder();
            final int length = random.nextInt(20);
            for (int j = 0; j < length; j++) {
                // Mostly ASCII (including '%' and controls), some Latin-1, BMP and astral code points.
                final int kind = random.nextInt(10);
                final int codePoint = kind < 6 ? random.nextInt(0x80)
                                               : kind < 8 ? 0x80 + random.nextInt(0x780)
                                                          : kind < 9 ? 0x3000 + random.nextInt(0x5000)
                                                                     : 0x1F300 + random.nextInt(0x300);
                text.appendCodePoint(codePoint);
            }
            final String encoded = PercentEncoding.encode(text.toString());
            assertThat(encoded.chars().allMatch(c -> c >= 0x20 && c <= 0x7E)).as(encoded).isTrue();
            assertThat(PercentEncoding.decode(encoded)).isEqualTo(text.toString());
        }
    }

    @Test
    void lineBreaksAreEscapedSoTheyCannotSplitAHeader() {
        assertThat(PercentEncoding.encode("a\r\nb")).isEqualTo("a%0D%0Ab");
        assertThat(PercentEncoding.decode("a%0D%0Ab")).isEqualTo("a\r\nb");
    }

    @Test
    void unescapedTextIsReturnedAsIs() {
        final String text = "nothing to escape";
        assertThat(PercentEncoding.encode(text)).isSameAs(text);
    }
}
