package dev.portico.upstream;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.netty.channel.EventLoop;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One endpoint's channels, one per front-end event loop (see {@link UpstreamLoops}). A call started on an
 * event loop goes out on that loop's channel; a call started elsewhere (health checks, schema reflection)
 * on the first one. Its connectivity is the best of its channels': READY while any is.
 */
final class LoopAffineChannel extends ManagedChannel {
    private final List<EventLoop> loops;
    private final List<ManagedChannel> channels;

    LoopAffineChannel(List<EventLoop> loops, List<ManagedChannel> channels) {
        if (loops.isEmpty() || loops.size() != channels.size()) {
            throw new IllegalArgumentException("one channel per event loop, at least one");
        }
        this.loops = List.copyOf(loops);
        this.channels = List.copyOf(channels);
    }

    private ManagedChannel current() {
        for (int i = 0; i < loops.size(); i++) {
            if (loops.get(i).inEventLoop()) {
                return channels.get(i);
            }
        }
        return channels.get(0);
    }

    @Override
    public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
        return current().newCall(method, options);
    }

    @Override
    public String authority() {
        return channels.get(0).authority();
    }

    @Override
    public ConnectivityState getState(boolean requestConnection) {
        ConnectivityState best = ConnectivityState.SHUTDOWN;
        for (ManagedChannel channel : channels) {
            final ConnectivityState state = channel.getState(requestConnection);
            if (rank(state) < rank(best)) {
                best = state;
            }
        }
        return best;
    }

    private static int rank(ConnectivityState state) {
        return switch (state) {
            case READY -> 0;
            case CONNECTING -> 1;
            case IDLE -> 2;
            case TRANSIENT_FAILURE -> 3;
            case SHUTDOWN -> 4;
        };
    }

    /** Runs {@code callback} once, after the combined state has moved away from {@code source}. */
    @Override
    public void notifyWhenStateChanged(ConnectivityState source, Runnable callback) {
        final AtomicBoolean fired = new AtomicBoolean();
        for (ManagedChannel channel : channels) {
            watch(channel, source, callback, fired);
        }
    }

    private void watch(ManagedChannel channel, ConnectivityState source, Runnable callback, AtomicBoolean fired) {
        channel.notifyWhenStateChanged(channel.getState(false), () -> {
            if (fired.get()) {
                return;
            }
            if (getState(false) != source) {
                if (fired.compareAndSet(false, true)) {
                    callback.run();
                }
            } else {
                watch(channel, source, callback, fired);
            }
        });
    }

    @Override
    public void resetConnectBackoff() {
        channels.forEach(ManagedChannel::resetConnectBackoff);
    }

    @Override
    public void enterIdle() {
        channels.forEach(ManagedChannel::enterIdle);
    }

    @Override
    public ManagedChannel shutdown() {
        channels.forEach(ManagedChannel::shutdown);
        return this;
    }

    @Override
    public ManagedChannel shutdownNow() {
        channels.forEach(ManagedChannel::shutdownNow);
        return this;
    }

    @Override
    public boolean isShutdown() {
        return channels.stream().allMatch(ManagedChannel::isShutdown);
    }

    @Override
    public boolean isTerminated() {
        return channels.stream().allMatch(ManagedChannel::isTerminated);
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        final long deadline = System.nanoTime() + unit.toNanos(timeout);
        for (ManagedChannel channel : channels) {
            if (!channel.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                return false;
            }
        }
        return true;
    }
}
