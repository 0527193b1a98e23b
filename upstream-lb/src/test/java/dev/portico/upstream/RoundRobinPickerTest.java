package dev.portico.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portico.config.HostAndPort;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.MethodDescriptor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Round robin over an immutable snapshot: even rotation, exclusions for retries, a counter that wraps, peeks
 * that take no turn.
 */
class RoundRobinPickerTest {
    private static final PickResult.NoEndpoint EXHAUSTED = new PickResult.NoEndpoint("none left");

    private static final Channel NO_CHANNEL = new Channel() {
        @Override
        public <Q, A> ClientCall<Q, A> newCall(MethodDescriptor<Q, A> method, CallOptions options) {
            throw new UnsupportedOperationException();
        }

        @Override
        public String authority() {
            return "test";
        }
    };

    static Endpoint endpoint(int port) {
        return new Endpoint(new HostAndPort("127.0.0.1", port),
                            new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    }

    private static List<PickResult.Picked> picks(int... ports) {
        final List<PickResult.Picked> picks = new ArrayList<>();
        for (int port : ports) {
            picks.add(new PickResult.Picked(endpoint(port), NO_CHANNEL));
        }
        return picks;
    }

    private static int port(PickResult result) {
        return ((PickResult.Picked) result).endpoint().address().getPort();
    }

    @Test
    void aPeekAnswersTheNextPickWithoutTakingItsTurn() {
        final Picker picker = Picker.roundRobin(picks(1, 2, 3), new AtomicInteger(), EXHAUSTED);
        assertThat(port(picker.pick(Set.of()))).isEqualTo(1);

        // A schema lookup between two calls: it asks the endpoint the next call gets, and the rotation holds.
        assertThat(port(picker.peek())).isEqualTo(2);
        assertThat(port(picker.peek())).isEqualTo(2);
        assertThat(port(picker.pick(Set.of()))).isEqualTo(2);
        assertThat(port(picker.pick(Set.of()))).isEqualTo(3);
    }

    @Test
    void aPeekAtAnEmptyClusterAnswersItsReason() {
        assertThat(Picker.none(EXHAUSTED).peek()).isSameAs(EXHAUSTED);
    }

    @Test
    void picksRotateThroughTheEndpointsInOrder() {
        final Picker picker = Picker.roundRobin(picks(1, 2, 3), new AtomicInteger(), EXHAUSTED);

        final List<Integer> order = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            order.add(port(picker.pick(Set.of())));
        }

        assertThat(order).containsExactly(1, 2, 3, 1, 2, 3, 1);
    }

    @Test
    void aRebuiltPickerContinuesTheRotation() {
        final AtomicInteger next = new AtomicInteger();
        final Picker first = Picker.roundRobin(picks(1, 2, 3), next, EXHAUSTED);
        first.pick(Set.of());

        final Picker rebuilt = Picker.roundRobin(picks(1, 2, 3), next, EXHAUSTED);

        assertThat(port(rebuilt.pick(Set.of()))).isEqualTo(2);
    }

    @Test
    void excludedEndpointsAreSkipped() {
        final Picker picker = Picker.roundRobin(picks(1, 2, 3), new AtomicInteger(), EXHAUSTED);

        for (int i = 0; i < 6; i++) {
            assertThat(port(picker.pick(Set.of(endpoint(1), endpoint(3))))).isEqualTo(2);
        }
    }

    @Test
    void whenEveryEndpointIsExcludedThePickSaysSo() {
        final Picker picker = Picker.roundRobin(picks(1, 2), new AtomicInteger(), EXHAUSTED);

        assertThat(picker.pick(Set.of(endpoint(1), endpoint(2)))).isSameAs(EXHAUSTED);
    }

    @Test
    void theCounterWrappingPastIntegerMaxValueKeepsPicking() {
        final Picker picker = Picker.roundRobin(picks(1, 2, 3), new AtomicInteger(Integer.MAX_VALUE - 2),
                                                EXHAUSTED);

        for (int i = 0; i < 10; i++) {
            assertThat(picker.pick(Set.of())).isInstanceOf(PickResult.Picked.class);
        }
    }

    @Test
    void aPickerWithNothingAnswersItsResult() {
        final PickResult.NoEndpoint none = new PickResult.NoEndpoint("cluster x has no endpoints");

        assertThat(Picker.none(none).pick(Set.of())).isSameAs(none);
        assertThatThrownBy(() -> Picker.roundRobin(List.of(), new AtomicInteger(), EXHAUSTED))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
