package dev.portico.proxy.wire;

/**
 * Renders an untrusted header value for an error message or log line: quoted, at most
 * {@value #MAX_CHARS} characters, anything outside printable ASCII shown as {@code \xNN} or
 * {@code \}{@code uNNNN} so that a hostile value cannot forge log lines.
 */
final class QuotedValue {

    static final int MAX_CHARS = 64;

    private QuotedValue() {
    }

    static String of(CharSequence value) {
        final int shown = Math.min(value.length(), MAX_CHARS);
        final StringBuilder out = new StringBuilder(shown + 8).append('"');
        for (int i = 0; i < shown; i++) {
            final char c = value.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c >= 0x20 && c < 0x7F) {
                out.append(c);
            } else if (c <= 0xFF) {
                out.append(String.format("\\x%02X", (int) c));
            } else {
                out.append(String.format("\\u%04X", (int) c));
            }
        }
        out.append('"');
        if (value.length() > shown) {
            out.append("...(").append(value.length()).append(" chars)");
        }
        return out.toString();
    }
}
