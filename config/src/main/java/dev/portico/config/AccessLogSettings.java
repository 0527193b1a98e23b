package dev.portico.config;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * The access log ({@code portico.access-log}): one line per call when it ends.
 *
 * @param enabled whether calls are logged at all
 * @param format how a line is written
 * @param sampleRate the share of successful calls logged, 0 to 1; failed calls are always logged
 * @param trustedProxies the peers whose {@code X-Forwarded-For} names the client
 */
public record AccessLogSettings(boolean enabled, Format format, double sampleRate, List<Cidr> trustedProxies) {

    /** The line format. */
    public enum Format {
        /** One readable line, fields in a fixed order. */
        TEXT,
        /** One JSON object per line. */
        JSON
    }

    public AccessLogSettings {
        requireNonNull(format, "format");
        trustedProxies = List.copyOf(trustedProxies);
        if (!(sampleRate >= 0 && sampleRate <= 1)) {
            throw new IllegalArgumentException("sampleRate must be between 0 and 1, got " + sampleRate);
        }
    }
}
