package dev.portico.proxy.transport;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * Times how a client delivers its requests on an HTTP/1.1 connection; it sits right after the HTTP codec,
 * so it sees request heads and bodies coming in, response heads and ends going out, and the {@code read()}
 * requests of the handlers after it. (An HTTP/2 stream's body is timed by its {@link Http2Exchange}.)
 *
 * <ul>
 *   <li><b>Request head</b>: from the connection's opening until the first head is complete; then the
 *       connection is closed.
 *   <li><b>Idle</b>: from a response's end (with its request read whole) until the next head is complete;
 *       then the connection is closed. A keep-alive connection between requests cannot be told from one
 *       whose next head is arriving byte by byte, and both are bounded by this.
 *   <li><b>Request body</b> ({@link BodyClock}): the time between the bytes, and the time in all, counting
 *       only while a {@code read()} is owed. On expiry: 408 and close if no response has started, else just
 *       close; either way the call is cancelled upstream, as for any client that went away.
 * </ul>
 *
 * Once a request is complete nothing here runs: a call's response, however quiet, is bounded only by its
 * deadline. Confined to the channel's event loop.
 */
final class RequestTimeouts extends ChannelDuplexHandler {
    private enum Phase {
        /** A new HTTP/1.1 connection waits for its first request head. */
        AWAITING_FIRST_HEAD,
        /** An HTTP/1.1 connection between requests. */
        IDLE,
        /** A timed request body is arriving. */
        BODY,
        /** Nothing to time: the request is complete, or its body is not timed. */
        UNTIMED,
        /** A timeout expired; the channel is closing. */
        EXPIRED
    }

    private final TimeoutPolicy policy;
    private ChannelHandlerContext ctx;
    private ExpiryTimer timer;
    private Phase phase;
    private long phaseStart;
    /** The current request's head arrived and its end has not. */
    private boolean requestOpen;
    /** A response head (not 1xx) went out for the current request. */
    private boolean responseStarted;
    /** That response's end went out. */
    private boolean responseEnded;
    private final BodyClock body;

    RequestTimeouts(TimeoutPolicy policy) {
        this.policy = policy;
        this.body = new BodyClock(policy);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext context) {
        this.ctx = context;
        this.timer = new ExpiryTimer(context.executor(), this::deadline, this::expire);
        enter(Phase.AWAITING_FIRST_HEAD);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext context) {
        timer.cancel();
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) {
        timer.cancel();
        context.fireChannelInactive();
    }

    private void enter(Phase next) {
        phase = next;
        phaseStart = System.nanoTime();
        timer.update();
    }

    @Override
    public void read(ChannelHandlerContext context) {
        if (phase == Phase.BODY && body.readAsked()) {
            timer.update();
        }
        context.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext context, Object msg) {
        if (msg instanceof HttpRequest request) {
            onHead(request);
        } else if (msg instanceof HttpContent) {
            onBodyBytes(msg instanceof LastHttpContent);
        }
        context.fireChannelRead(msg);
    }

    private void onHead(HttpRequest request) {
        requestOpen = !(request instanceof LastHttpContent);
        responseStarted = false;
        responseEnded = false;
        body.reset();
        enter(requestOpen && policy.timesBodies() ? Phase.BODY : Phase.UNTIMED);
    }

    private void onBodyBytes(boolean last) {
        body.bytesArrived();
        if (last) {
            requestOpen = false;
            if (phase == Phase.BODY) {
                enter(responseEnded ? Phase.IDLE : Phase.UNTIMED);
            }
        }
    }

    @Override
    public void write(ChannelHandlerContext context, Object msg, ChannelPromise promise) {
        if (phase == Phase.EXPIRED) {
            // The call has not heard of the timeout yet: nothing of it may follow the 408.
            ReferenceCountUtil.release(msg);
            promise.setFailure(new IllegalStateException("the request timed out"));
            return;
        }
        final boolean interim = msg instanceof HttpResponse response
                                && response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
        if (!interim) {
            if (msg instanceof HttpResponse) {
                responseStarted = true;
            }
            if (msg instanceof LastHttpContent) {
                responseEnded = true;
                if (!requestOpen) {
                    enter(Phase.IDLE);
                }
            }
        }
        context.write(msg, promise);
    }

    /** The current deadline, or {@link ExpiryTimer#NONE}. */
    private long deadline() {
        return switch (phase) {
            case AWAITING_FIRST_HEAD -> after(phaseStart, policy.requestHeadNanos());
            case IDLE -> after(phaseStart, policy.idleNanos());
            case BODY -> body.deadline();
            case UNTIMED, EXPIRED -> ExpiryTimer.NONE;
        };
    }

    /** {@code timeoutNanos} after {@code start}; a timeout of 0 is off. */
    private static long after(long start, long timeoutNanos) {
        return timeoutNanos == 0 ? ExpiryTimer.NONE : start + timeoutNanos;
    }

    private void expire() {
        final Phase expired = phase;
        phase = Phase.EXPIRED;
        switch (expired) {
            case AWAITING_FIRST_HEAD -> {
                policy.expired(ctx.channel(), TimeoutKind.REQUEST_HEAD,
                               "closed a connection without a complete request head after "
                               + TimeoutPolicy.setting("request-head", policy.requestHeadNanos()));
                ctx.channel().close();
            }
            case IDLE -> {
                policy.expired(ctx.channel(), TimeoutKind.IDLE, "closed an idle connection after "
                        + TimeoutPolicy.setting("idle", policy.idleNanos()));
                ctx.channel().close();
            }
            case BODY -> expireBody();
            case UNTIMED, EXPIRED -> throw new AssertionError("unexpected " + expired);
        }
    }

    private void expireBody() {
        final String what = body.expiry();
        policy.expired(ctx.channel(), TimeoutKind.REQUEST_BODY, "closed a connection: " + what);
        if (responseStarted) {
            ctx.channel().close();
            return;
        }
        // RFC 9110 section 15.5.9: 408, "the server ... wishes to close the connection".
        final FullHttpResponse timeout = PlainResponses.of(ctx.alloc(), HttpResponseStatus.REQUEST_TIMEOUT,
                                                           "request timeout: " + what);
        HttpUtil.setKeepAlive(timeout, false);
        ctx.writeAndFlush(timeout).addListener(ChannelFutureListener.CLOSE);
    }
}
