package dev.portico.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How call deadlines are derived ({@code portico.deadlines}). No value is negative, and when both
 * {@code max} and {@code defaultTimeout} are non-zero, {@code defaultTimeout <= max}.
 *
 * @param max                 cap on any call's deadline; {@link Duration#ZERO} means no cap
 * @param defaultTimeout      deadline for calls that send none; {@link Duration#ZERO} means none
 * @param ignoreClientTimeout if true, client {@code grpc-timeout}/{@code Connect-Timeout-Ms} are ignored and
 *                            only {@code defaultTimeout} and {@code max} apply
 */
public record DeadlineSettings(Duration max, Duration defaultTimeout, boolean ignoreClientTimeout) {

    public DeadlineSettings {
        requireNonNull(max, "max");
        requireNonNull(defaultTimeout, "defaultTimeout");
    }
}
