package dev.portico.proxy.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One message per read(), in order, however many one socket read decoded, and without recursion. */
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
}
