package dev.portico.proxy.transport;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * One timer for a deadline that moves: the owner computes its current deadline (a {@link System#nanoTime}
 * value, or {@link #NONE}) whenever asked, and calls {@link #update} after a change that may have brought
 * it forward. At most one task is scheduled; when it runs early (the deadline moved on since, as it does
 * with every byte that arrives) it schedules itself again for what is left. So progress costs no timer
 * operation at all, as with Netty's IdleStateHandler. Confined to the channel's event loop.
 */
public final class ExpiryTimer {
    /** No deadline now. */
    public static final long NONE = Long.MIN_VALUE;

    private final EventExecutor executor;
    private final LongSupplier deadline;
    private final Runnable onExpiry;
    private final Runnable check = this::check;
    private ScheduledFuture<?> scheduled;
    private long scheduledFor;

    public ExpiryTimer(EventExecutor executor, LongSupplier deadline, Runnable onExpiry) {
        this.executor = executor;
        this.deadline = deadline;
        this.onExpiry = onExpiry;
    }

    /** Makes sure the timer runs no later than the current deadline. */
    public void update() {
        final long due = deadline.getAsLong();
        if (due == NONE || scheduled != null && scheduledFor - due <= 0) {
            return;
        }
        cancel();
        schedule(due);
    }

    public void cancel() {
        if (scheduled != null) {
            scheduled.cancel(false);
            scheduled = null;
        }
    }

    private void schedule(long due) {
        scheduledFor = due;
        scheduled = executor.schedule(check, Math.max(0, due - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    private void check() {
        scheduled = null;
        final long due = deadline.getAsLong();
        if (due == NONE) {
            return;
        }
        if (System.nanoTime() - due >= 0) {
            onExpiry.run();
        } else {
            schedule(due);
        }
    }
}
