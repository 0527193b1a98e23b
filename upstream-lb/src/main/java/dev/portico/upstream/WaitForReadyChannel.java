package dev.portico.upstream;

import static java.util.Objects.requireNonNull;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * An endpoint's channel whose calls wait for a connection instead of failing while it cannot connect
 * (grpc-java's wait-for-ready), for a bounded time: a call whose request headers have not gone out after
 * {@code limit} fails with UNAVAILABLE, nothing of it having reached the upstream. The call's deadline bounds
 * the wait too. For the calls of a cluster that has no other endpoint to try. While the endpoint is connected,
 * calls go out as on the plain channel, with nothing added.
 *
 * <p><b>Threads:</b> the bound runs on the call's executor when it can schedule (the event loop a proxied call
 * lives on), else on {@code timers}, so it cancels the call on the thread its other callbacks use.
 */
final class WaitForReadyChannel extends Channel {
    private final ManagedChannel channel;
    private final long limitNanos;
    private final String waitedFor;
    private final ScheduledExecutorService timers;

    /**
     * @param waitedFor names the endpoint in the failure, e.g. "endpoint 10.0.0.5:50051 of cluster users"
     */
    WaitForReadyChannel(ManagedChannel channel, Duration limit, String waitedFor,
                        ScheduledExecutorService timers) {
        this.channel = requireNonNull(channel, "channel");
        this.limitNanos = limit.toNanos();
        this.waitedFor = requireNonNull(waitedFor, "waitedFor");
        this.timers = requireNonNull(timers, "timers");
    }

    @Override
    public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
        if (channel.getState(false) == ConnectivityState.READY) {
            return channel.newCall(method, options);
        }
        final StreamProgress progress = new StreamProgress();
        final ClientCall<Q, R> call = channel.newCall(
                method, options.withWaitForReady().withStreamTracerFactory(progress));
        final Executor executor = options.getExecutor();
        final ScheduledExecutorService scheduler =
                executor instanceof ScheduledExecutorService own ? own : timers;
        return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
            /** The bound cancelled the call; set and read on the scheduler's thread or before start. */
            private volatile boolean gaveUp;

            @Override
            public void start(Listener<R> listener, Metadata headers) {
                final ScheduledFuture<?> bound = scheduler.schedule(() -> {
                    if (!progress.headersSent()) {
                        gaveUp = true;
                        delegate().cancel("waited " + TimeUnit.NANOSECONDS.toMillis(limitNanos) + " ms", null);
                    }
                }, limitNanos, TimeUnit.NANOSECONDS);
                super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                    @Override
                    public void onClose(Status status, Metadata trailers) {
                        bound.cancel(false);
                        super.onClose(gaveUp ? Status.UNAVAILABLE.withDescription(
                                "no connection to " + waitedFor + " within "
                                + TimeUnit.NANOSECONDS.toMillis(limitNanos) + " ms") : status, trailers);
                    }
                }, headers);
            }
        };
    }

    @Override
    public String authority() {
        return channel.authority();
    }
}
