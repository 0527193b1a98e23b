package dev.portico.proxy.transport;

import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * With auto-read off, hands the handlers after it one decoded HTTP object per {@code read()}: one socket
 * read can decode a request head, its body and even the next request, and the request handlers must see
 * them only as fast as they ask.
 *
 * <p>The socket itself stays read while little waits here: at the end of every socket read that left at
 * most {@value #MAX_QUEUED_BYTES} bytes and {@value #MAX_QUEUED_MESSAGES} messages queued, this asks for the
 * next one itself (a read that passes only the handlers before this one). Past those bounds the socket is
 * read again only once the handlers have taken everything and ask for more (backpressure). So a keep-alive
 * client that waits for each response before it sends the next request (browsers, HTTP/1.1 clients without
 * pipelining) never makes the connection change its epoll interest: a read that stops when a request is in
 * and starts again when its response is out costs two {@code epoll_ctl} system calls per request, about 7%
 * of Portico's CPU under HTTP/1.1 load. The queue holds at most those bounds plus what one socket read
 * decoded.
 *
 * <p>Netty's {@code FlowControlHandler} queues too, but since 4.2 it forgets a read that is still unanswered
 * when the socket's read cycle completes; a request that arrives later then waits forever. Here a read stays
 * owed until a message answers it. Confined to the channel's event loop.
 */
public final class OneMessagePerRead extends ChannelDuplexHandler {
    /** Body bytes held while the socket is still read: a unary request's body fits, an upload stops. */
    static final int MAX_QUEUED_BYTES = 64 * 1024;
    /** Messages held while the socket is still read (pipelined heads, tiny WebSocket frames). */
    static final int MAX_QUEUED_MESSAGES = 64;

    private final ArrayDeque<Object> queue = new ArrayDeque<>();
    /** Content bytes of the queued messages. */
    private long queuedBytes;
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
                final Object msg = queue.poll();
                queuedBytes -= contentBytes(msg);
                ctx.fireChannelRead(msg);
                ctx.fireChannelReadComplete();
            }
        } finally {
            delivering = false;
        }
        if (readOwed) {
            ctx.read(); // No system call when the socket is still read.
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (readOwed || ctx.channel().config().isAutoRead()) {
            readOwed = false;
            ctx.fireChannelRead(msg);
        } else {
            queue.add(msg);
            queuedBytes += contentBytes(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (readOwed || queuedBytes <= MAX_QUEUED_BYTES && queue.size() <= MAX_QUEUED_MESSAGES) {
            // Read on: a message asked for has not come yet (a partial head, say), or the socket stays read
            // while little waits.
            ctx.read();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        // An HTTP/2 switch or a closed channel: nothing queued is wanted any more.
        queue.forEach(ReferenceCountUtil::release);
        queue.clear();
        queuedBytes = 0;
    }

    private static int contentBytes(Object msg) {
        return msg instanceof ByteBufHolder holder ? holder.content().readableBytes() : 0;
    }
}
