package dev.portico.proxy.transport;

/** The timeouts of {@code portico.listen.timeouts}, as the {@code kind} metric tag names them. */
public enum TimeoutKind {
    REQUEST_HEAD("request_head", CloseReason.REQUEST_HEAD_TIMEOUT),
    IDLE("idle", CloseReason.IDLE_TIMEOUT),
    /** {@code request-body-idle} or {@code request-body}. */
    REQUEST_BODY("request_body", CloseReason.REQUEST_BODY_TIMEOUT);

    private final String tag;
    private final CloseReason closeReason;

    TimeoutKind(String tag, CloseReason closeReason) {
        this.tag = tag;
        this.closeReason = closeReason;
    }

    public String tag() {
        return tag;
    }

    CloseReason closeReason() {
        return closeReason;
    }
}
