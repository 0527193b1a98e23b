package dev.portico.proxy.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * One message per read(), in order, however many one socket read decoded, and without recursion; the socket
 * read on while little waits.
 */
class OneMessagePerReadTest {

    @Test
    void aHandlerThatReadsAgainFromChannelReadGetsTenThousandQueuedMessagesWithoutNesting() {
        final List<Integer> seen = new ArrayList<>();
        final int[] depth = {0};
        final int[] deepest = {0};
        final EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setAutoRead(false);
        channel.pipeline().addLast(new OneMessagePerRead(), new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                depth[0]++;
                deepest[0] = Math.max(deepest[0], depth[0]);
                seen.add((Integer) msg);
                ctx.read(); // As a WebSocket bridge does after a ping: the next frame, please.
                depth[0]--;
            }
        });
        // One socket read decoded 10,000 tiny frames, none asked for yet: they wait in the queue.
        for (int i = 0; i < 10_000; i++) {
            channel.writeInbound(i);
        }
        assertThat(seen).isEmpty();

        channel.read();

        assertThat(seen).hasSize(10_000);
        assertThat(seen.get(9_999)).isEqualTo(9_999);
        assertThat(deepest[0]).as("channelRead nesting").isEqualTo(1);
        channel.finishAndReleaseAll();
    }

    @Test
    void aReadAnsweredByNoMessageStaysOwedUntilOneArrives() {
        final List<Object> seen = new ArrayList<>();
        final EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setAutoRead(false);
        channel.pipeline().addLast(new OneMessagePerRead(), new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                seen.add(msg);
            }
        });
        channel.read();
        channel.writeInbound("first");
        channel.writeInbound("second");
        assertThat(seen).containsExactly("first");
        channel.read();
        assertThat(seen).containsExactly("first", "second");
        channel.finishAndReleaseAll();
    }

    @Test
    void theSocketIsReadOnWhileLittleWaitsAndNoLongerOnceTheBoundIsPassed() {
        final List<Object> seen = new ArrayList<>();
        final SocketReads socketReads = new SocketReads();
        final EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setAutoRead(false);
        channel.pipeline().addLast(socketReads, new OneMessagePerRead(), new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                seen.add(msg);
                ReferenceCountUtil.release(msg);
            }
        });
        // A unary request's body decoded before its call asked for it: held, and the socket still read.
        channel.writeInbound(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[1024])));
        assertThat(seen).isEmpty();
        assertThat(socketReads.count).as("socket reads with 1 KiB waiting").isEqualTo(1);
        // An upload nobody reads: past the bound the socket is no longer read.
        channel.writeInbound(new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[OneMessagePerRead.MAX_QUEUED_BYTES])));
        assertThat(socketReads.count).as("socket reads past the bound").isEqualTo(1);
        channel.read();
        channel.read();
        assertThat(seen).hasSize(2);
        assertThat(socketReads.count).as("socket reads once all was taken").isEqualTo(1);
        channel.read();
        assertThat(socketReads.count).as("socket reads once all was taken and more is asked for").isEqualTo(2);
        channel.finishAndReleaseAll();
    }

    @Test
    void pipelinedHeadsCountTowardsTheBoundToo() {
        final SocketReads socketReads = new SocketReads();
        final EmbeddedChannel channel = new EmbeddedChannel();
        channel.config().setAutoRead(false);
        channel.pipeline().addLast(socketReads, new OneMessagePerRead());
        for (int i = 0; i < OneMessagePerRead.MAX_QUEUED_MESSAGES; i++) {
            channel.writeInbound("head " + i);
        }
        assertThat(socketReads.count).isEqualTo(OneMessagePerRead.MAX_QUEUED_MESSAGES);
        channel.writeInbound("one head too many");
        assertThat(socketReads.count).isEqualTo(OneMessagePerRead.MAX_QUEUED_MESSAGES);
        channel.finishAndReleaseAll();
    }

    /** Stands for the socket, before the handler: counts the reads that reach it (and so keep it read). */
    private static final class SocketReads extends ChannelOutboundHandlerAdapter {
        int count;

        @Override
        public void read(ChannelHandlerContext ctx) {
            count++;
            ctx.read();
        }
    }
}
