package dev.portico.proxy.protocol;

import static java.util.Objects.requireNonNull;

import dev.portico.proxy.wire.RpcCode;
import io.grpc.Metadata;

/**
 * How a call ended, in no protocol's terms: every exit of a call (upstream close, local error) is turned
 * into one of these, and the client's protocol encodes it.
 *
 * @param code the status code
 * @param message the status message, or {@code ""} when there is none
 * @param trailers trailing metadata, including {@code grpc-status-details-bin} when the upstream sent it
 */
public record CallOutcome(RpcCode code, String message, Metadata trailers) {
    public CallOutcome {
        requireNonNull(code, "code");
        requireNonNull(message, "message");
        requireNonNull(trailers, "trailers");
    }

    /** An outcome Portico produced itself, with no trailing metadata. */
    public static CallOutcome local(RpcCode code, String message) {
        return new CallOutcome(code, message, new Metadata());
    }
}
