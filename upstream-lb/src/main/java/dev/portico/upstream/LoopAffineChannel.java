package dev.portico.upstream;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One endpoint's channels, one per front-end event loop (see {@link UpstreamLoops}); it owns them and shuts
 * them down. A call started on an event loop goes out on that loop's channel; a call started on any other
 * thread (health checks, schema reflection) on the first one. Safe on any thread.
 *
 * <p>Its connectivity combines its channels': TRANSIENT_FAILURE while any of them cannot connect (they all
 * dial the same endpoint, and calls on that loop would fail), else READY while any is connected, else
 * CONNECTING, else IDLE. State-change callbacks run on the thread of the channel that changed.
 */
final class LoopAffineChannel extends ManagedChannel {
    private final List<EventLoop> loops;
    private final List<ManagedChannel> channels;
    /** Callbacks waiting for the combined state to leave their source state; guarded by {@code this}. */
    private final List<Waiting> waiting = new ArrayList<>();

    private record Waiting(ConnectivityState source, Runnable callback) {}

    LoopAffineChannel(List<EventLoop> loops, List<ManagedChannel> channels) {
        if (loops.isEmpty() || loops.size() != channels.size()) {
            throw new IllegalArgumentException("one channel per event loop, at least one");
        }
        this.loops = List.copyOf(loops);
        this.channels = List.copyOf(channels);
        this.channels.forEach(this::follow);
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
        boolean ready = false;
        boolean connecting = false;
        boolean idle = false;
        for (ManagedChannel channel : channels) {
            switch (channel.getState(requestConnection)) {
                case TRANSIENT_FAILURE -> {
                    return ConnectivityState.TRANSIENT_FAILURE;
                }
                case READY -> ready = true;
                case CONNECTING -> connecting = true;
                case IDLE -> idle = true;
                case SHUTDOWN -> { }
            }
        }
        return ready ? ConnectivityState.READY
                : connecting ? ConnectivityState.CONNECTING
                : idle ? ConnectivityState.IDLE
                : ConnectivityState.SHUTDOWN;
    }

    /** Runs {@code callback} once, as soon as the combined state is no longer {@code source}. */
    @Override
    public void notifyWhenStateChanged(ConnectivityState source, Runnable callback) {
        synchronized (this) {
            waiting.add(new Waiting(source, callback));
        }
        // The state may have moved already, before the callback was listed.
        runThoseThatChanged();
    }

    /** Watches one channel for as long as it lives: every change of it may change the combined state. */
    private void follow(ManagedChannel channel) {
        final ConnectivityState now = channel.getState(false);
        if (now == ConnectivityState.SHUTDOWN) {
            runThoseThatChanged();
            return;
        }
        channel.notifyWhenStateChanged(now, () -> {
            runThoseThatChanged();
            follow(channel);
        });
    }

    private void runThoseThatChanged() {
        final List<Runnable> due = new ArrayList<>();
        synchronized (this) {
            final ConnectivityState now = getState(false);
            waiting.removeIf(w -> w.source() != now && due.add(w.callback()));
        }
        due.forEach(Runnable::run);
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
