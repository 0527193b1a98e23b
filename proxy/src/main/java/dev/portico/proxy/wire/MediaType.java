package dev.portico.proxy.wire;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A parsed {@code Content-Type} (or {@code Accept} element). {@code application/grpc-web-text+proto;
 * charset=utf-8} has type {@code "application"}, subtype {@code "grpc-web-text"}, suffix {@code "proto"}
 * (the structured-syntax suffix after the last {@code '+'}, RFC 6839; {@code ""} when there is none) and
 * params {@code {charset=utf-8}}.
 *
 * <p>Type, subtype, suffix and parameter names are case-insensitive (RFC 9110 §8.3.1) and stored in lower
 * case; parameter values are kept as sent, with quoted strings unquoted. Params keep their order and are
 * immutable.
 */
public record MediaType(String type, String subtype, String suffix, Map<String, String> params) {

    /** Normalises case and copies {@code params} into an immutable map. */
    public MediaType {
        type = requireNonNull(type, "type").toLowerCase(Locale.ROOT);
        subtype = requireNonNull(subtype, "subtype").toLowerCase(Locale.ROOT);
        suffix = requireNonNull(suffix, "suffix").toLowerCase(Locale.ROOT);
        params = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(params, "params")));
    }

    /**
     * Parses a media type. RFC 9110 §8.3.1: {@code type "/" subtype *( OWS ";" OWS [ parameter ] )}, with
     * {@code parameter = name "=" ( token / quoted-string )}. Surrounding whitespace is ignored.
     *
     * @throws ProtocolException with {@link RpcCode#INVALID_ARGUMENT}, quoting the value, if it is malformed
     *     (missing subtype, empty suffix, a character outside the token grammar, a parameter without
     *     {@code '='}, an unterminated quoted string, or the same parameter twice)
     */
    public static MediaType parse(CharSequence value) throws ProtocolException {
        requireNonNull(value, "value");
        final int end = trimEnd(value);
        int pos = skipWhitespace(value, 0, end);
        final int typeEnd = scanToken(value, pos, end);
        if (typeEnd == pos || typeEnd == end || value.charAt(typeEnd) != '/') {
            throw malformed(value, "expected type/subtype");
        }
        final String type = value.subSequence(pos, typeEnd).toString();
        pos = typeEnd + 1;
        final int subtypeEnd = scanToken(value, pos, end);
        if (subtypeEnd == pos) {
            throw malformed(value, "expected type/subtype");
        }
        String subtype = value.subSequence(pos, subtypeEnd).toString();
        String suffix = "";
        final int plus = subtype.lastIndexOf('+');
        if (plus >= 0) {
            if (plus == 0 || plus == subtype.length() - 1) {
                throw malformed(value, "empty subtype or suffix around '+'");
            }
            suffix = subtype.substring(plus + 1);
            subtype = subtype.substring(0, plus);
        }
        final Map<String, String> params = new LinkedHashMap<>();
        pos = skipWhitespace(value, subtypeEnd, end);
        while (pos < end) {
            if (value.charAt(pos) != ';') {
                throw malformed(value, "expected ';' at offset " + pos);
            }
            pos = skipWhitespace(value, pos + 1, end);
            if (pos == end || value.charAt(pos) == ';') {
                // RFC 9110 allows an empty parameter: "text/plain;" and "a/b;;c=d" are valid.
                continue;
            }
            final int nameEnd = scanToken(value, pos, end);
            if (nameEnd == pos || nameEnd == end || value.charAt(nameEnd) != '=') {
                throw malformed(value, "expected name=value at offset " + pos);
            }
            final String name = value.subSequence(pos, nameEnd).toString().toLowerCase(Locale.ROOT);
            pos = nameEnd + 1;
            final String paramValue;
            if (pos < end && value.charAt(pos) == '"') {
                final StringBuilder unquoted = new StringBuilder();
                pos = scanQuoted(value, pos, end, unquoted);
                paramValue = unquoted.toString();
            } else {
                final int valueEnd = scanToken(value, pos, end);
                if (valueEnd == pos) {
                    throw malformed(value, "empty value for parameter " + name);
                }
                paramValue = value.subSequence(pos, valueEnd).toString();
                pos = valueEnd;
            }
            if (params.putIfAbsent(name, paramValue) != null) {
                throw malformed(value, "duplicate parameter " + name);
            }
            pos = skipWhitespace(value, pos, end);
        }
        return new MediaType(type, subtype, suffix, params);
    }

    /** The media type without parameters, e.g. {@code "application/grpc-web-text+proto"}. */
    public String essence() {
        return suffix.isEmpty() ? type + '/' + subtype : type + '/' + subtype + '+' + suffix;
    }

    /** Returns the index after the quoted string at {@code pos}; appends its content to {@code out}. */
    private static int scanQuoted(CharSequence value, int pos, int end, StringBuilder out)
            throws ProtocolException {
        // RFC 9110 §5.6.4: quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE.
        int i = pos + 1;
        while (i < end) {
            final char c = value.charAt(i);
            if (c == '"') {
                return i + 1;
            }
            if (c == '\\') {
                if (i + 1 == end) {
                    break;
                }
                final char escaped = value.charAt(i + 1);
                if (!isQuotedText(escaped) && escaped != '"' && escaped != '\\') {
                    throw malformed(value, "invalid quoted-pair at offset " + i);
                }
                out.append(escaped);
                i += 2;
                continue;
            }
            if (!isQuotedText(c)) {
                throw malformed(value, "invalid character in quoted string at offset " + i);
            }
            out.append(c);
            i++;
        }
        throw malformed(value, "unterminated quoted string");
    }

    // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text; we also take '"' and '\' via quoted-pair.
    private static boolean isQuotedText(char c) {
        return c == '\t' || c >= 0x20 && c != 0x7F && c != '"' && c != '\\' && c <= 0xFF;
    }

    private static int scanToken(CharSequence value, int pos, int end) {
        int i = pos;
        while (i < end && isTokenChar(value.charAt(i))) {
            i++;
        }
        return i;
    }

    // RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" /
    // "|" / "~" / DIGIT / ALPHA.
    private static boolean isTokenChar(char c) {
        if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
            return true;
        }
        return "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }

    private static int skipWhitespace(CharSequence value, int pos, int end) {
        int i = pos;
        while (i < end && isWhitespace(value.charAt(i))) {
            i++;
        }
        return i;
    }

    private static int trimEnd(CharSequence value) {
        int end = value.length();
        while (end > 0 && isWhitespace(value.charAt(end - 1))) {
            end--;
        }
        return end;
    }

    // RFC 9110 §5.6.3: OWS = *( SP / HTAB ).
    private static boolean isWhitespace(char c) {
        return c == ' ' || c == '\t';
    }

    private static ProtocolException malformed(CharSequence value, String reason) {
        return new ProtocolException(RpcCode.INVALID_ARGUMENT,
                                     "malformed media type " + QuotedValue.of(value) + ": " + reason);
    }
}
