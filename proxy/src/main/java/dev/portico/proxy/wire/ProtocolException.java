package dev.portico.proxy.wire;

import static java.util.Objects.requireNonNull;

/**
 * A violation of the wire protocol found while parsing. It carries the {@link RpcCode} the client gets,
 * so the single error boundary ({@code ProxyCall.finish}) can answer in the client's own protocol.
 */
public final class ProtocolException extends Exception {

    private static final long serialVersionUID = 1L;

    private final RpcCode code;

    /** Creates an exception that reports {@code code} with {@code message} to the client. */
    public ProtocolException(RpcCode code, String message) {
        super(message);
        this.code = requireNonNull(code, "code");
    }

    /** Creates an exception that reports {@code code} with {@code message}, caused by {@code cause}. */
    public ProtocolException(RpcCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = requireNonNull(code, "code");
    }

    /** The status code the client receives for this violation. */
    public RpcCode code() {
        return code;
    }
}
