package dev.portico.proxy.call;

import io.grpc.Status;

/**
 * Recognises grpc-java's report of an upstream refusing a request's header block for its size: Netty's
 * HPACK encoder refusing to exceed the upstream's SETTINGS_MAX_HEADER_LIST_SIZE ("Header size exceeded max
 * allowed size"), or the upstream answering HTTP 431. grpc-java calls both INTERNAL; for the client it is
 * RESOURCE_EXHAUSTED, like an oversize head at Portico itself.
 */
final class HeaderListTooLarge {
    private HeaderListTooLarge() {}

    static boolean reportedIn(Status status) {
        if (status.getCode() != Status.Code.INTERNAL) {
            return false;
        }
        if (mentionsIt(status.getDescription())) {
            return true;
        }
        for (Throwable cause = status.getCause(); cause != null; cause = cause.getCause()) {
            if (mentionsIt(cause.getMessage())) {
                return true;
            }
        }
        return false;
    }

    private static boolean mentionsIt(String message) {
        return message != null && (message.contains("Header size exceeded")
                                   || message.contains("HTTP status code 431"));
    }
}
