package dev.portico.proxy.call;

import static java.util.Objects.requireNonNull;

import dev.portico.proxy.metrics.CallRecorder;
import dev.portico.proxy.protocol.CallOutcome;
import dev.portico.proxy.protocol.ClientProtocol;
import dev.portico.proxy.protocol.Codec;
import dev.portico.proxy.protocol.DeferredResponse;
import dev.portico.proxy.protocol.JsonTranscoder;
import dev.portico.proxy.protocol.RequestMeta;
import dev.portico.proxy.schema.MethodSchema;
import dev.portico.proxy.schema.RpcKind;
import dev.portico.proxy.transport.CallExchange;
import dev.portico.proxy.transport.ExpiryTimer;
import dev.portico.proxy.transport.ThrottledLog;
import dev.portico.proxy.transport.TimeoutKind;
import dev.portico.proxy.wire.Base64StreamDecoder;
import dev.portico.proxy.wire.BodyEncoding;
import dev.portico.proxy.wire.Compression;
import dev.portico.proxy.wire.Deframer;
import dev.portico.proxy.wire.EnvelopeFormat;
import dev.portico.proxy.wire.MessageDeframer;
import dev.portico.proxy.wire.MessageFramer;
import dev.portico.proxy.wire.ProtocolException;
import dev.portico.proxy.wire.RpcCode;
import dev.portico.upstream.PickResult;
import dev.portico.upstream.UpstreamAttempt;
import io.grpc.CallOptions;
import io.grpc.Metadata;
import io.grpc.Status;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.util.concurrent.EventExecutor;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client request proxied as one native gRPC call.
 *
 * <p><b>Thread:</b> confined to the client exchange's event loop; grpc-java calls back on that loop too, and
 * the schema lookup hands its result over to it.
 *
 * <p><b>Backpressure:</b> the client's body is read only while the upstream call is ready for another
 * message, and the deframer holds at most what one read brought. Upstream messages are requested a window
 * ahead ({@link #requestResponses}), and only while the client channel is writable (HTTP/2 stream windows
 * and the write-buffer water marks show up as writability).
 *
 * <p><b>Messages:</b> request messages are decompressed and, for the JSON codec, transcoded to binary with
 * the method's schema; response messages the other way. The protocol only frames them.
 *
 * <p><b>Ending:</b> every exit (upstream close, bad input, client gone) goes through {@link #finish} or
 * {@link #cancel}, which run at most once between them.
 */
public final class ProxyCall implements UpstreamCall.Listener {
    private static final Logger log = LoggerFactory.getLogger(ProxyCall.class);
    /** Bad requests and upstream failures are logged at most once per kind and interval. */
    private static final ThrottledLog throttledLog = new ThrottledLog(log);
    /**
     * How many response messages may be asked for ahead of the client: about this many bytes' worth, by the
     * size of the largest message so far (8 before the first), at least one and at most
     * {@link #MAX_RESPONSE_WINDOW}. A stream that once sent a large message stays at one at a time.
     */
    private static final int RESPONSE_WINDOW_BYTES = 64 * 1024;
    private static final int MAX_RESPONSE_WINDOW = 64;
    private static final int FIRST_RESPONSE_WINDOW = 8;
    /**
     * Small response messages framed in one event-loop turn leave in one write of at most this many bytes
     * (one HTTP/2 DATA frame at the default frame size): one buffer instead of a header and a payload per
     * message for the HTTP/2 and TCP layers to merge. Larger messages are written as they are, uncopied.
     */
    private static final int BATCH_BYTES = 16 * 1024;

    private enum State {
        /** Waiting for the method's schema; the body is buffered but not read further. */
        PENDING,
        /** The request body is still being forwarded. */
        OPEN,
        /** The whole request went upstream; the response is still coming. */
        HALF_CLOSED,
        /** The response ended or the client went away; nothing more is written. */
        CLOSED
    }

    /** Told when the call is over, so that the connection can take its next request or be closed. */
    public interface EndListener {
        void onCallEnded(boolean responseWritten);
    }

    private final CallExchange exchange;
    private final ByteBufAllocator alloc;
    private final ClientProtocol protocol;
    private final RequestMeta meta;
    /** The endpoint of the current attempt; a retry moves the call to another one. */
    private PickResult.Picked target;
    private final ProxyRuntime runtime;
    private final EndListener endListener;
    /** The access log and tracing: told of each attempt and of the end. */
    private final CallObserver observer;
    private final Deframer deframer;
    private final Base64StreamDecoder base64;
    private final CallRecorder recorder;

    private State state = State.PENDING;
    private UpstreamCall upstream;
    /** The current upstream attempt, and the options every attempt starts with. */
    private UpstreamAttempt attempt;
    private CallOptions upstreamOptions;
    private JsonTranscoder transcoder;
    /** The method's kind, when its schema is known. */
    private RpcKind kind;
    /** For {@link #takesOneRequest()}: the request message, until the body ends. */
    private ByteBuf heldRequest;
    private boolean headSent;
    private boolean bodyEnded;
    /** The deframer was told the body ended. */
    private boolean inputEnded;
    /** A message was requested from the deframer and has not arrived: more body bytes are needed. */
    private boolean messageDemanded;
    /** Upstream messages asked for that have not arrived yet. */
    private int responseCredit;
    /** The largest response message so far, which decides how far ahead to ask. */
    private int largestResponseBytes;
    /** A failure found while the deframer was delivering, acted on once it returns. */
    private ProtocolException deframeFailure;
    /** For a protocol whose head waits for the outcome: what arrived so far. */
    private Metadata deferredHeaders;
    private ByteBuf deferredMessage;
    private boolean deferredCompressed;
    /** Response bytes framed this turn and not yet written (see {@link #BATCH_BYTES}). */
    private ByteBuf pendingBody;
    /** {@link #pendingBody} is a batch buffer of Portico's own, not the first message as it came. */
    private boolean batching;
    /** A flush is queued on the event loop. */
    private boolean flushScheduled;
    private final Runnable flushTask = this::flushNow;
    /** Since when Portico has been asking the client for more body, or -1 when it is not waiting. */
    private long bodyAskedNanos = -1;
    /** Watches for a client stalling in the middle of its body (see {@link #askForBody}); made when needed. */
    private ExpiryTimer bodyStall;

    public ProxyCall(CallExchange exchange, ClientProtocol protocol, RequestMeta meta,
                     PickResult.Picked target, ProxyRuntime runtime, EndListener endListener,
                     CallObserver observer) {
        this.exchange = requireNonNull(exchange, "exchange");
        this.alloc = exchange.alloc();
        this.protocol = requireNonNull(protocol, "protocol");
        this.meta = requireNonNull(meta, "meta");
        this.target = requireNonNull(target, "target");
        this.runtime = requireNonNull(runtime, "runtime");
        this.endListener = requireNonNull(endListener, "endListener");
        this.observer = requireNonNull(observer, "observer");
        this.deframer = protocol.newDeframer(alloc, meta, runtime.limits().maxMessageBytes(), new RequestMessages());
        this.base64 = protocol.bodyEncoding() == BodyEncoding.BASE64 ? new Base64StreamDecoder() : null;
        this.recorder = runtime.metrics().callStarted(protocol.tag(), meta.fullMethodName());
    }

    /**
     * Starts the call: at once, or once the method's schema is known when the call needs it (the JSON
     * codec, or a Connect GET, which only methods without side effects may take).
     */
    public void start() {
        assert exchange.eventLoop().inEventLoop();
        if (state != State.PENDING) {
            return; // Reset before it started (rapid reset): no schema lookup, no upstream call.
        }
        if (meta.codec() == Codec.PROTO && !meta.isGet()) {
            // Binary calls need no schema, and do not wait for one: a known schema (descriptor sets, or one
            // reflection cached) decides the request's cardinality at once; otherwise this starts the lookup
            // in the background for the calls that follow, and this call goes as it is.
            startUpstream(runtime.schemas().lookup(meta.fullMethodName()).getNow(Optional.empty()));
            return;
        }
        runtime.schemas().lookup(meta.fullMethodName()).whenComplete((schema, error) -> exchange.eventLoop().execute(
                () -> startUpstream(schema == null ? Optional.empty() : schema)));
    }

    private void startUpstream(Optional<MethodSchema> schema) {
        if (state != State.PENDING) {
            return; // The client went away meanwhile.
        }
        try {
            checkSchema(schema);
        } catch (ProtocolException e) {
            fail(e);
            return;
        }
        state = State.OPEN;
        CallOptions options = CallOptions.DEFAULT
                .withExecutor(exchange.eventLoop())
                .withMaxInboundMessageSize(runtime.limits().maxMessageBytes())
                .withMaxOutboundMessageSize(runtime.limits().maxMessageBytes());
        final long timeoutNanos = runtime.effectiveTimeoutNanos(meta.timeoutNanos());
        if (timeoutNanos >= 0) {
            options = options.withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS);
        }
        upstreamOptions = options;
        attempt = UpstreamAttempt.first(target);
        if (!takesOneRequest()) {
            startAttempt();
        } // else the call goes upstream once its one message and the body's end are in (see pumpRequest).
        if (meta.isGet()) {
            feed(Unpooled.wrappedBuffer(meta.inlineMessage()), true);
            exchange.read(); // The request's (empty) end, so that the connection can take the next request.
        } else {
            pumpRequest();
        }
    }

    /**
     * Starts the upstream call of the current attempt. Request messages go out only once it is ready, so an
     * attempt that fails before its stream exists has taken none of them from the deframer (a held one
     * request message is kept instead: {@link #startOneRequestAttempt}).
     */
    private void startAttempt() {
        attempt.started();
        upstream = UpstreamCall.start(target.channel(), runtime.methods().get(meta.fullMethodName()),
                                      attempt.trace(upstreamOptions),
                                      observer.attemptStarted(target.endpoint(), meta.metadata()), this);
        responseCredit = 0;
        requestResponses();
    }

    /**
     * Reports how the attempt ended to its endpoint; then, if nothing of the call reached that upstream,
     * starts it again on another endpoint of the cluster and returns true: this close is not the call's end.
     */
    private boolean retriedElsewhere(Status status) {
        attempt.onClosed(status);
        observer.attemptEnded(status);
        final boolean messageKept = !takesOneRequest() || heldRequest != null;
        if (state == State.CLOSED || !attempt.retryable(status) || !messageKept) {
            return false;
        }
        final PickResult next = runtime.upstream().retry(meta.fullMethodName(), attempt.tried());
        if (!(next instanceof PickResult.Picked picked)) {
            return false;
        }
        log.debug("{} {}: nothing reached {} ({}); trying {}", protocol.tag(), meta.fullMethodName(),
                  target.endpoint(), status.getCode(), picked.endpoint());
        target = picked;
        attempt = attempt.next(picked);
        if (takesOneRequest()) {
            startOneRequestAttempt();
        } else {
            startAttempt();
        }
        return true;
    }

    private void checkSchema(Optional<MethodSchema> schema) throws ProtocolException {
        final String how = "let the upstream serve gRPC server reflection, or list a descriptor set "
                           + "(buf build -o, protoc --include_imports --descriptor_set_out) in "
                           + "portico.schema.descriptor-sets";
        if (meta.isGet()) {
            if (schema.isPresent() && !schema.get().noSideEffects()) {
                throw new ProtocolException(RpcCode.UNIMPLEMENTED, meta.fullMethodName()
                        + " may have side effects (idempotency_level is not NO_SIDE_EFFECTS): call it with POST");
            }
            if (schema.isEmpty() && !runtime.connect().allowGetWithoutSchema()) {
                throw new ProtocolException(RpcCode.UNIMPLEMENTED, "GET needs to know that "
                        + meta.fullMethodName() + " has no side effects, and its schema is unknown: " + how
                        + ", or set portico.connect.allow-get-without-schema = true");
            }
        }
        if (schema.isPresent()) {
            kind = schema.get().kind();
            protocol.checkKind(meta.fullMethodName(), kind);
        }
        if (meta.codec() == Codec.JSON) {
            if (schema.isEmpty()) {
                throw new ProtocolException(RpcCode.UNIMPLEMENTED, "cannot transcode JSON for "
                        + meta.fullMethodName() + ": its schema is unknown; " + how + ", or use the proto codec");
            }
            transcoder = new JsonTranscoder(schema.get(), runtime.connect().rejectUnknownJsonFields());
        }
    }

    /** Takes ownership of {@code content}: a piece of the request body, {@code last} for the final one. */
    public void onRequestContent(ByteBuf content, boolean last) {
        if (meta.isGet()) {
            content.release(); // A GET's message is in its URL; the body must be empty.
            return;
        }
        recorder.requestBytes(content.readableBytes());
        feed(content, last);
    }

    private void feed(ByteBuf bytes, boolean last) {
        bodyAskedNanos = -1;
        if (state == State.HALF_CLOSED || state == State.CLOSED) {
            bytes.release();
            return;
        }
        try {
            deframer.feed(base64 == null ? bytes : base64.decode(alloc, bytes));
            if (last) {
                if (base64 != null) {
                    deframer.feed(base64.finish(alloc));
                }
                bodyEnded = true;
            }
            pumpRequest();
        } catch (ProtocolException e) {
            fail(e);
        }
    }

    /** The client channel's writability changed: resume the response if it was held back. */
    public void onWritabilityChanged() {
        requestResponses();
    }

    /**
     * Asks the upstream for more response messages while the client channel is writable, about
     * {@link #RESPONSE_WINDOW_BYTES} ahead: small messages many at a time, so that one event-loop turn forwards
     * a batch of them in one write; large ones one at a time, so that a slow client holds at most one large
     * message beyond the write-buffer high-water mark.
     */
    private void requestResponses() {
        if (state == State.CLOSED || upstream == null || !exchange.isWritable()) {
            return;
        }
        final int window = largestResponseBytes == 0 ? FIRST_RESPONSE_WINDOW
                : Math.max(1, Math.min(MAX_RESPONSE_WINDOW, RESPONSE_WINDOW_BYTES / largestResponseBytes));
        if (responseCredit <= window / 2) {
            upstream.request(window - responseCredit);
            responseCredit = window;
        }
    }

    /** The client went away (connection closed, stream reset): cancel the upstream call at once. */
    public void cancel() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        releaseBuffers();
        releaseHeldRequest();
        if (upstream != null) {
            upstream.cancel("client cancelled the call", null);
        }
        log.debug("{} {}: client went away, upstream call cancelled", protocol.tag(), meta.fullMethodName());
        ended(RpcCode.CANCELLED);
        endListener.onCallEnded(false);
    }

    /** Forwards request messages while the upstream takes them, and reads more body only then. */
    private void pumpRequest() {
        try {
            if (bodyEnded && !inputEnded && state == State.OPEN) {
                inputEnded = true;
                deframer.endOfInput(); // A partial frame left over is an error.
            }
            while (state == State.OPEN && !messageDemanded && deframeFailure == null && takesMessages()) {
                messageDemanded = true;
                deframer.request(1);
            }
            if (deframeFailure != null) {
                throw deframeFailure;
            }
            if (state != State.OPEN || !messageDemanded) {
                return; // Closed, or waiting for onReady.
            }
            if (inputEnded) {
                // A message is wanted and none is left: the whole request is in.
                if (upstream == null) {
                    // One request message, held and checked: only now does anything of the call go upstream.
                    checkHeldRequest();
                    state = State.HALF_CLOSED;
                    startOneRequestAttempt();
                    return;
                }
                if (!upstream.isReady()) {
                    return; // onReady pumps again.
                }
                state = State.HALF_CLOSED;
                upstream.halfClose();
            } else {
                askForBody();
            }
        } catch (ProtocolException e) {
            fail(e);
        }
    }

    /**
     * Reads more of the body, and watches for a client that stalls while it owes some: on an HTTP/2 stream,
     * in the middle of a message or before the end of a body that must come whole (one request message),
     * no byte for {@code listen.timeouts.request-body-idle} ends the call. Between the messages of a stream
     * a client may be quiet for as long as it likes. (HTTP/1.1 bodies are timed by the connection's
     * RequestTimeouts.) The clock runs only while Portico is asking: backpressure never counts.
     */
    private void askForBody() {
        if (bodyAskedNanos < 0) {
            bodyAskedNanos = System.nanoTime();
        }
        exchange.read();
        if (!runtime.timeouts().requestBodyIdle().isZero() && owesBody()) {
            if (bodyStall == null) {
                bodyStall = new ExpiryTimer(exchange.eventLoop(), this::bodyStallDeadline, this::bodyStalled);
            }
            bodyStall.update();
        }
    }

    private boolean owesBody() {
        return exchange.isHttp2()
               && (deframer.holdsPartialMessage() || takesOneRequest());
    }

    /** When a stalled body ends the call: {@code request-body-idle} after Portico asked, while it is owed. */
    private long bodyStallDeadline() {
        if (state != State.OPEN || bodyAskedNanos < 0 || !owesBody()) {
            return ExpiryTimer.NONE; // Done, or no longer owing: the next askForBody watches again.
        }
        return bodyAskedNanos + runtime.timeouts().requestBodyIdle().toNanos();
    }

    private void bodyStalled() {
        runtime.connectionEvents().timedOut(TimeoutKind.REQUEST_BODY);
        fail(new ProtocolException(RpcCode.CANCELLED, "no request body byte for "
                + runtime.timeouts().requestBodyIdle().toSeconds()
                + " s while part of it was owed (listen.timeouts.request-body-idle)"));
    }

    /**
     * Whether the next request message may be taken from the client: while the upstream call is ready for
     * it, or, for a method that takes one request message, before the upstream call starts (it is held).
     */
    private boolean takesMessages() {
        return upstream == null ? takesOneRequest() : upstream.isReady();
    }

    /**
     * The method takes exactly one request message (its schema is known and its request is not a stream):
     * that message is held, and the upstream call started, only once the body ended, so that a body with
     * none or more than one is refused before anything of the call goes upstream.
     */
    private boolean takesOneRequest() {
        return kind != null && kind.takesOneRequest();
    }

    /**
     * Starts an attempt of a call whose one request message is held, and sends that message and the end at
     * once, without waiting for the stream to exist (onReady): grpc-java then writes the HEADERS, the message
     * and END_STREAM in one write, where waiting for onReady costs a second write and a loop turn per call.
     * The message is kept until the attempt's stream exists, so that an attempt refused before that can be
     * sent again elsewhere.
     */
    private void startOneRequestAttempt() {
        startAttempt();
        upstream.send(heldRequest.retainedDuplicate());
        upstream.halfClose();
    }

    /** For a method that takes one request message, at the body's end: that message must have come. */
    private void checkHeldRequest() throws ProtocolException {
        if (heldRequest == null) {
            // Connect protocol: a unary or server-streaming call without its request is unimplemented.
            throw new ProtocolException(RpcCode.UNIMPLEMENTED, meta.fullMethodName() + " is a "
                    + kind.label() + " method and takes exactly one request message; the request had none");
        }
    }

    private void releaseHeldRequest() {
        if (heldRequest != null) {
            heldRequest.release();
            heldRequest = null;
        }
    }

    @Override
    public void onHeaders(Metadata headers) {
        if (state == State.CLOSED) {
            return;
        }
        if (protocol.defersHead()) {
            deferredHeaders = headers;
            return;
        }
        headSent = true;
        exchange.write(protocol.responseHead(meta, headers));
        flushSoon(); // A stream's headers reach the client before its first message.
    }

    @Override
    public void onMessage(ByteBuf message) {
        responseCredit--;
        if (state == State.CLOSED) {
            message.release();
            return;
        }
        recorder.responseMessage();
        largestResponseBytes = Math.max(largestResponseBytes, message.readableBytes());
        ByteBuf encoded;
        try {
            encoded = transcoder == null ? message : transcoder.toJson(alloc, message);
        } catch (ProtocolException e) {
            fail(e);
            return;
        }
        final boolean compress = meta.responseCompression() != Compression.IDENTITY
                                 && encoded.readableBytes() >= runtime.compression().responseMinBytes();
        if (compress) {
            encoded = meta.responseCompression().compress(alloc, encoded);
        }
        if (protocol.defersHead()) {
            if (deferredMessage != null) {
                encoded.release();
                fail(new ProtocolException(RpcCode.UNIMPLEMENTED, "the upstream answered the unary call "
                                           + meta.fullMethodName() + " with more than one message"));
                return;
            }
            deferredMessage = encoded;
            deferredCompressed = compress;
        } else {
            queueMessage(encoded, compress);
            flushSoon();
        }
        requestResponses();
    }

    /**
     * Takes ownership of {@code message}. After the first small message of a turn, the next ones are framed
     * straight into the batch (copied once, not framed and then copied into it).
     */
    private void queueMessage(ByteBuf message, boolean compressed) {
        final EnvelopeFormat envelope = protocol.plainEnvelope();
        final int frameBytes = MessageFramer.HEADER_LENGTH + message.readableBytes();
        final boolean batchable = envelope != null && frameBytes <= BATCH_BYTES / 2;
        if (batchable) {
            writePendingBodyIfNoRoomFor(frameBytes);
        }
        if (!batchable || pendingBody == null) {
            queueBody(protocol.encodeMessage(alloc, message, compressed));
            return;
        }
        final ByteBuf batch;
        try {
            batch = batchFor(frameBytes);
        } catch (RuntimeException | Error e) {
            message.release();
            throw e;
        }
        recorder.responseBytes(frameBytes);
        MessageFramer.frameInto(batch, envelope, message, compressed);
    }

    /**
     * Takes ownership of {@code bytes}. The first small message of a turn is held as it is; when another
     * follows in the same turn, both go into one batch buffer sized for them (it grows up to
     * {@link #BATCH_BYTES}). Large messages are written as they are.
     */
    private void queueBody(ByteBuf bytes) {
        final int size = bytes.readableBytes();
        recorder.responseBytes(size);
        if (size > BATCH_BYTES / 2) {
            writePendingBody();
            exchange.write(new DefaultHttpContent(bytes));
            return;
        }
        writePendingBodyIfNoRoomFor(size);
        if (pendingBody == null) {
            pendingBody = bytes;
            return;
        }
        try {
            batchFor(size).writeBytes(bytes);
        } finally {
            bytes.release();
        }
    }

    /** Writes the pending body if {@code bytes} more would take it over {@link #BATCH_BYTES}. */
    private void writePendingBodyIfNoRoomFor(int bytes) {
        if (pendingBody != null && pendingBody.readableBytes() + bytes > BATCH_BYTES) {
            writePendingBody();
        }
    }

    /**
     * The pending body, which has room for {@code bytes} more, as a batch buffer: the first piece of a turn,
     * held as it came, is copied into a new batch sized for a few more like it.
     */
    private ByteBuf batchFor(int bytes) {
        if (!batching) {
            final ByteBuf first = pendingBody;
            pendingBody = null;
            try {
                pendingBody = alloc.directBuffer(Math.min(BATCH_BYTES, 8 * (first.readableBytes() + bytes)),
                                                 BATCH_BYTES).writeBytes(first);
            } finally {
                first.release();
            }
            batching = true;
        }
        return pendingBody;
    }

    private void writePendingBody() {
        if (pendingBody != null) {
            final ByteBuf batch = pendingBody;
            pendingBody = null;
            batching = false;
            exchange.write(new DefaultHttpContent(batch));
        }
    }

    /**
     * Each message reaches the client as soon as it arrives, never buffered to the end of the call; but the
     * flush waits for the tasks already queued on the loop, so that a unary call's message and its end
     * (grpc-java often delivers them back to back) leave in one write, and it closes this call's batch. The
     * connection's FlushConsolidationHandler then merges the flushes of its calls (HTTP/2) into one write.
     */
    private void flushSoon() {
        if (!flushScheduled) {
            flushScheduled = true;
            exchange.eventLoop().execute(flushTask);
        }
    }

    private void flushNow() {
        flushScheduled = false;
        writePendingBody();
        exchange.flush();
    }

    @Override
    public void onReady() {
        if (state == State.HALF_CLOSED && takesOneRequest()) {
            // The attempt's stream exists: no other endpoint will need the message. (grpc-java calls onReady
            // for a method of UNKNOWN type, as MethodDescriptors makes them all; for a unary one it would not,
            // and the message would be held to the call's end.)
            releaseHeldRequest();
            return;
        }
        pumpRequest();
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
        if (retriedElsewhere(status)) {
            return;
        }
        final RpcCode code = RpcCode.fromValue(status.getCode().value());
        final String description = status.getDescription() == null ? "" : status.getDescription();
        if (attempt.statusFromUpstream()) {
            // The upstream service's own answer: its code and message pass through as they are.
            finish(new CallOutcome(code, description, trailers));
        } else if (HeaderListTooLarge.reportedIn(status)) {
            // The upstream's HTTP/2 settings refuse a header block this large: the client's metadata.
            throttledLog.warn("upstream-header-limit", "{} {}: {} (upstream {})", protocol.tag(),
                              meta.fullMethodName(), description, target.endpoint());
            finish(CallOutcome.local(RpcCode.RESOURCE_EXHAUSTED, "the request metadata is larger than the "
                                     + "upstream accepts; send less, or raise the upstream's limit"));
        } else if (code == RpcCode.RESOURCE_EXHAUSTED && status.getCause() == null) {
            // grpc-java enforcing Portico's own max-message-bytes on a response: its message says which.
            finish(new CallOutcome(code, description, trailers));
        } else {
            finish(new CallOutcome(code, upstreamFailure(code, status), trailers));
        }
    }

    /**
     * The message for a status grpc-java made up itself (connection refused, TLS, a reset stream, a non-gRPC
     * answer, a deadline): its wording names upstream addresses and grpc-java internals, so it goes to the
     * log, and the client gets it only with {@code portico.errors.expose-upstream-details}.
     */
    private String upstreamFailure(RpcCode code, Status status) {
        String detail = status.getDescription() == null ? "" : status.getDescription();
        if (status.getCause() != null) {
            detail = detail + (detail.isEmpty() ? "" : ": ") + status.getCause().getMessage();
        }
        detail = detail + " (upstream " + target.endpoint() + ")";
        if (code != RpcCode.CANCELLED && code != RpcCode.DEADLINE_EXCEEDED) {
            throttledLog.warn("upstream-failure", "{} {}: upstream call failed: {}: {}", protocol.tag(),
                              meta.fullMethodName(), code, detail);
        }
        if (runtime.errors().exposeUpstreamDetails()) {
            return detail;
        }
        return switch (code) {
            case DEADLINE_EXCEEDED -> "deadline exceeded";
            case CANCELLED -> "call cancelled";
            case UNAVAILABLE -> "upstream unavailable";
            default -> "upstream call failed (" + code + "); Portico's log has the details";
        };
    }

    /**
     * Ends the call with an error Portico found in the client's request or the upstream's answer; also what
     * the transport reports (a WebSocket client breaking its framing).
     */
    void fail(ProtocolException e) {
        if (state == State.CLOSED) {
            return;
        }
        throttledLog.warn("bad-call", "{} {} from {}: {}: {}", protocol.tag(), meta.fullMethodName(),
                          exchange.connection().remoteAddress(), e.code(), e.getMessage());
        if (upstream != null) {
            upstream.cancel("Portico ended the call: " + e.getMessage(), e);
        }
        finish(CallOutcome.local(e.code(), e.getMessage()));
    }

    /** Writes the end of the response in the client's protocol; runs at most once. */
    private void finish(CallOutcome outcome) {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        deframer.close();
        releaseHeldRequest();
        DeferredResponse deferred = null;
        if (protocol.defersHead()) {
            deferred = new DeferredResponse(deferredHeaders == null ? new Metadata() : deferredHeaders,
                                            deferredMessage, deferredCompressed);
            deferredMessage = null; // Owned by encodeEnd now.
        }
        ended(outcome.code());
        writePendingBody();
        final HttpObject end = protocol.encodeEnd(alloc, meta, outcome, headSent, deferred);
        if (end instanceof HttpContent body) {
            recorder.responseBytes(body.content().readableBytes());
        }
        exchange.writeEnd(end).addListener(future -> {
            if (!future.isSuccess()) {
                log.debug("writing the end of {} failed", meta.fullMethodName(), future.cause());
                exchange.close();
            }
            endListener.onCallEnded(future.isSuccess());
        });
    }

    /** Counts the call's end and frees its place among the calls in flight; once per call. */
    private void ended(RpcCode code) {
        if (bodyStall != null) {
            bodyStall.cancel();
        }
        recorder.ended(code);
        observer.callEnded(code);
        runtime.activeCalls().release(this);
    }

    /** The event loop the call is confined to. */
    EventExecutor executor() {
        return exchange.eventLoop();
    }

    /**
     * Ends the call with UNAVAILABLE and {@code reason}, in the client's protocol, and cancels its upstream
     * call: how shutdown ends the calls that outlived the grace period, so that none is cut without a status.
     */
    void abort(String reason) {
        assert exchange.eventLoop().inEventLoop();
        if (state == State.CLOSED) {
            return;
        }
        if (upstream != null) {
            upstream.cancel(reason, null);
        }
        finish(CallOutcome.local(RpcCode.UNAVAILABLE, reason));
    }

    private void releaseBuffers() {
        deframer.close();
        if (pendingBody != null) {
            pendingBody.release();
            pendingBody = null;
            batching = false;
        }
        if (deferredMessage != null) {
            deferredMessage.release();
            deferredMessage = null;
        }
    }

    /** Request messages as the deframer delivers them, on demand: decompressed, transcoded, sent. */
    private final class RequestMessages implements MessageDeframer.Listener {
        @Override
        public void onMessage(ByteBuf message, boolean compressed) {
            messageDemanded = false;
            recorder.requestMessage();
            try {
                ByteBuf binary = message;
                if (compressed) {
                    if (meta.requestCompression() == Compression.IDENTITY) {
                        message.release();
                        // PROTOCOL-HTTP2.md: without a message encoding the compressed flag must be 0.
                        throw new ProtocolException(RpcCode.INTERNAL,
                                                    "compressed request message, but no compression was named");
                    }
                    binary = meta.requestCompression().decompress(alloc, message,
                                                                  runtime.limits().maxMessageBytes());
                }
                if (transcoder != null) {
                    binary = transcoder.toBinary(binary);
                }
                if (!takesOneRequest()) {
                    upstream.send(binary);
                } else if (heldRequest == null) {
                    heldRequest = binary;
                } else {
                    binary.release();
                    // Refused at the second message: neither goes upstream.
                    throw new ProtocolException(RpcCode.UNIMPLEMENTED, meta.fullMethodName() + " is a "
                            + kind.label() + " method and takes exactly one request message; the request had "
                            + "more than one");
                }
            } catch (ProtocolException e) {
                deframeFailure = e;
            }
        }

        @Override
        public void onEndFrame(ByteBuf payload) {
            payload.release();
            deframeFailure = new ProtocolException(RpcCode.INVALID_ARGUMENT,
                                                   "a request body must not carry an end-of-stream frame");
        }
    }
}
