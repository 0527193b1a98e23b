package dev.portico.proxy.wire;

/**
 * Turns a request body into messages, delivered on demand to a {@link MessageDeframer.Listener}.
 * {@link MessageDeframer} splits enveloped bodies; {@link WholeBodyDeframer} takes a whole body as one
 * message (Connect unary). Not thread-safe: confined to the call's event loop.
 */
public interface Deframer extends AutoCloseable {

    /** Takes ownership of {@code chunk}, even when it throws. */
    void feed(io.netty.buffer.ByteBuf chunk) throws ProtocolException;

    /** Asks for {@code n} more messages, delivered as soon as they are complete. */
    void request(int n) throws ProtocolException;

    /**
     * Whether part of a message has arrived and the rest is owed: for a whole-body deframer, until the body
     * ended. A client that goes quiet now is stalling, not pausing between messages.
     */
    boolean holdsPartialMessage();

    /** The body ended; an incomplete message left over is an error. */
    void endOfInput() throws ProtocolException;

    /** Releases everything buffered; later input is released and ignored. */
    @Override
    void close();
}
