package dev.portico.proxy.transport;

import io.netty.util.AttributeKey;

/** Why a client connection was closed, as the {@code reason} metric tag names it. */
public enum CloseReason {
    REQUEST_HEAD_TIMEOUT("request_head_timeout"),
    IDLE_TIMEOUT("idle_timeout"),
    REQUEST_BODY_TIMEOUT("request_body_timeout"),
    /** Closed as soon as accepted: the listener had {@code max-connections} open. */
    MAX_CONNECTIONS("max_connections"),
    /** Closed as soon as accepted: the client's address had {@code max-connections-per-ip} open. */
    MAX_CONNECTIONS_PER_IP("max_connections_per_ip"),
    /** The client closed it, or an error did. */
    OTHER("other");

    /** Set on a connection by whatever closes it on purpose; unset means {@link #OTHER}. */
    static final AttributeKey<CloseReason> ATTRIBUTE = AttributeKey.valueOf(CloseReason.class, "reason");

    private final String tag;

    CloseReason(String tag) {
        this.tag = tag;
    }

    public String tag() {
        return tag;
    }
}
