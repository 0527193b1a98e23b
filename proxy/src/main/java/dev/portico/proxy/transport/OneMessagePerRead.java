package dev.portico.proxy.transport;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * With auto-read off, hands the handlers after it one decoded HTTP object per {@code read()}: one socket
 * read can decode a request head, its body and even the next request, and the request handlers must see
 * them only as fast as they ask.
 *
 * <p>Netty's {@code FlowControlHandler} does this too, but since 4.2 it forgets a read that is still
 * unanswered when the socket's read cycle completes; a request that arrives later then waits forever.
 * Here a read stays owed until a message answers it. The queue holds at most what one socket read
 * decoded. Confined to the channel's event loop.
 */
public final class OneMessagePerRead extends ChannelDuplexHandler {
    private final ArrayDeque<Object> queue = new ArrayDeque<>();
    /** A read was asked for and no message has answered it yet. */
    private boolean readOwed;
    /** Queued messages are being handed on: a read asked for meanwhile is answered by that loop. */
    private boolean delivering;

    @Override
    public void read(ChannelHandlerContext ctx) {
        readOwed = true;
        if (delivering) {
            return;
        }
        // A loop, not a recursion: a handler that reads again while handling a message would otherwise nest
        // one call per queued message (a WebSocket read can decode thousands of tiny frames at once).
        delivering = true;
        try {
            while (readOwed && !queue.isEmpty()) {
                readOwed = false;
                ctx.fireChannelRead(queue.poll());
                ctx.fireChannelReadComplete();
            }
        } finally {
            delivering = false;
        }
        if (readOwed) {
            ctx.read();
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (readOwed || ctx.channel().config().isAutoRead()) {
            readOwed = false;
            ctx.fireChannelRead(msg);
        } else {
            queue.add(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (readOwed) {
            // The socket read decoded no whole message (a partial head, say): read on until one arrives.
            ctx.read();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        // An HTTP/2 switch or a closed channel: nothing queued is wanted any more.
        queue.forEach(ReferenceCountUtil::release);
        queue.clear();
    }
}
