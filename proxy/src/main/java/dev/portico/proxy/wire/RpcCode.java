package dev.portico.proxy.wire;

/**
 * The gRPC status codes, each with its number, its Connect name and the HTTP status the Connect spec gives
 * a unary error with that code. One table, looked up by field, never by a parallel array.
 */
public enum RpcCode {
    OK(0, "ok", 200),
    // Connect spec: 499 "Client Closed Request"; 408 was dropped by Connect RFC 003 (it invites retries).
    CANCELLED(1, "canceled", 499),
    UNKNOWN(2, "unknown", 500),
    INVALID_ARGUMENT(3, "invalid_argument", 400),
    DEADLINE_EXCEEDED(4, "deadline_exceeded", 504),
    NOT_FOUND(5, "not_found", 404),
    ALREADY_EXISTS(6, "already_exists", 409),
    PERMISSION_DENIED(7, "permission_denied", 403),
    RESOURCE_EXHAUSTED(8, "resource_exhausted", 429),
    FAILED_PRECONDITION(9, "failed_precondition", 400),
    ABORTED(10, "aborted", 409),
    OUT_OF_RANGE(11, "out_of_range", 400),
    UNIMPLEMENTED(12, "unimplemented", 501),
    INTERNAL(13, "internal", 500),
    UNAVAILABLE(14, "unavailable", 503),
    DATA_LOSS(15, "data_loss", 500),
    UNAUTHENTICATED(16, "unauthenticated", 401);

    // Indexed by value; the constructor order above is the numeric order, checked in the static block.
    private static final RpcCode[] BY_VALUE = values();

    static {
        for (int i = 0; i < BY_VALUE.length; i++) {
            if (BY_VALUE[i].value != i) {
                throw new AssertionError("RpcCode out of order at " + BY_VALUE[i]);
            }
        }
    }

    private final int value;
    private final String connectName;
    private final int httpStatus;

    RpcCode(int value, String connectName, int httpStatus) {
        this.value = value;
        this.connectName = connectName;
        this.httpStatus = httpStatus;
    }

    /** The numeric code, as sent in {@code grpc-status}. */
    public int value() {
        return value;
    }

    /** The snake_case name used in Connect error JSON, e.g. {@code "invalid_argument"}. */
    public String connectName() {
        return connectName;
    }

    /** The HTTP status of a Connect unary response with this code (Connect spec "Error Codes"). */
    public int httpStatus() {
        return httpStatus;
    }

    /** The code with numeric {@code value}; values outside 0–16 map to {@link #UNKNOWN}. */
    public static RpcCode fromValue(int value) {
        // Both bounds checked: an off-by-one here is a classic (vanguard's httpStatusCodeFromRPC).
        if (value < 0 || value >= BY_VALUE.length) {
            return UNKNOWN;
        }
        return BY_VALUE[value];
    }

    /**
     * The code a client infers from an HTTP status when the response carries no {@code grpc-status}
     * (http-grpc-status-mapping.md). Servers must not use this table to choose HTTP statuses; that is what
     * {@link #httpStatus()} is for. Note 200 maps to {@link #UNKNOWN}: a real OK always has a status.
     */
    public static RpcCode fromHttpStatus(int httpStatus) {
        return switch (httpStatus) {
            case 400, 431 -> INTERNAL;
            case 401 -> UNAUTHENTICATED;
            case 403 -> PERMISSION_DENIED;
            case 404 -> UNIMPLEMENTED;
            case 429, 502, 503, 504 -> UNAVAILABLE;
            default -> UNKNOWN;
        };
    }
}
