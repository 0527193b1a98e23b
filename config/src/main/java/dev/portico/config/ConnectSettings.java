package dev.portico.config;

/**
 * How strictly the Connect protocol is served ({@code portico.connect}).
 *
 * @param requireProtocolVersion true: a Connect request without {@code Connect-Protocol-Version: 1} (or, for
 *                               GET, without {@code connect=v1}) is rejected
 * @param allowGetWithoutSchema  true: Connect GET is allowed for any unary method whose schema is unknown;
 *                               false: only for methods whose schema says
 *                               {@code idempotency_level = NO_SIDE_EFFECTS}
 * @param rejectUnknownJsonFields true: a JSON request with a field the schema does not have is rejected;
 *                                false: such fields are ignored
 */
public record ConnectSettings(boolean requireProtocolVersion, boolean allowGetWithoutSchema,
                              boolean rejectUnknownJsonFields) {
}
