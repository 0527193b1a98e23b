package dev.portico.proxy.schema;

/**
 * The four kinds of gRPC method, by whether the request and the response are streams. The kind decides how
 * many request messages a call carries: exactly one unless the request is a stream.
 */
public enum RpcKind {
    UNARY("unary", false, false),
    SERVER_STREAMING("server-streaming", false, true),
    CLIENT_STREAMING("client-streaming", true, false),
    BIDI_STREAMING("bidi-streaming", true, true);

    private final String label;
    private final boolean clientStreaming;
    private final boolean serverStreaming;

    RpcKind(String label, boolean clientStreaming, boolean serverStreaming) {
        this.label = label;
        this.clientStreaming = clientStreaming;
        this.serverStreaming = serverStreaming;
    }

    /** The kind of a method whose request and response are streams or not. */
    public static RpcKind of(boolean clientStreaming, boolean serverStreaming) {
        for (RpcKind kind : values()) {
            if (kind.clientStreaming == clientStreaming && kind.serverStreaming == serverStreaming) {
                return kind;
            }
        }
        throw new AssertionError("every combination is a kind");
    }

    /** Whether a call carries exactly one request message (PROTOCOL-HTTP2.md: a unary request). */
    public boolean takesOneRequest() {
        return !clientStreaming;
    }

    /** "unary", "server-streaming", ...: for messages to clients. */
    public String label() {
        return label;
    }
}
