package dev.portico.health;

import static java.util.Objects.requireNonNull;

import dev.portico.config.HealthCheckMode;
import dev.portico.config.HealthCheckSettings;
import dev.portico.config.UnimplementedHealthRule;
import dev.portico.upstream.Endpoint;
import dev.portico.upstream.EndpointHealthChecker;
import dev.portico.upstream.EndpointHealthSink;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks upstream endpoints with the standard {@code grpc.health.v1.Health} service (PROTOCOLS.md B13) and
 * reports verdicts to the pool through {@link EndpointHealthSink}.
 *
 * <p>Per endpoint, in {@link HealthCheckMode#AUTO}: a {@code Watch} stream, whose every answer counts at once
 * (the server announces changes itself). A stream that breaks, or brings no first answer within the timeout,
 * counts as one failed check and is opened again after the interval. An endpoint answering {@code Watch} with
 * UNIMPLEMENTED is asked with {@code Check} instead, as in {@link HealthCheckMode#CHECK}: one call per
 * interval, with the timeout as its deadline, results counted against the healthy and unhealthy
 * thresholds. An endpoint's first result decides its first verdict. An endpoint without the health service
 * at all (UNIMPLEMENTED to {@code Check}) follows {@link UnimplementedHealthRule}; {@code NOT_FOUND} (the
 * service name is unknown to it) is unhealthy.
 *
 * <p><b>Threads:</b> one daemon thread runs every probe; grpc-java calls back on it too, so a probe's state
 * has a single owner.
 */
public final class HealthProber implements EndpointHealthChecker {
    private static final Logger log = LoggerFactory.getLogger(HealthProber.class);
    /** Intervals vary by up to this share, so that probes started together spread out. */
    private static final double JITTER = 0.1;

    private final ScheduledExecutorService executor;

    public HealthProber() {
        this.executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            final Thread thread = new Thread(runnable, "portico-health");
            thread.setDaemon(true);
            return thread;
        });
    }

    @Override
    public HealthCheck start(Endpoint endpoint, Channel channel, HealthCheckSettings settings,
                             EndpointHealthSink sink) {
        final Probe probe = new Probe(requireNonNull(endpoint, "endpoint"), requireNonNull(channel, "channel"),
                                      requireNonNull(settings, "settings"), requireNonNull(sink, "sink"));
        run(probe::begin);
        return probe;
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }

    private void run(Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            // Closed: the pool is shutting down and closes the channels, which ends any call left.
        }
    }

    /** One endpoint's checks. Confined to the prober's thread. */
    private final class Probe implements HealthCheck {
        private final Endpoint endpoint;
        private final Channel channel;
        private final HealthCheckSettings settings;
        private final EndpointHealthSink sink;
        private final HealthCheckRequest request;

        private boolean watching;
        private boolean closed;
        /** Bumped for every call, so that callbacks of a call given up on are ignored. */
        private long generation;
        private ClientCall<HealthCheckRequest, HealthCheckResponse> call;
        private ScheduledFuture<?> timer;
        /** The last verdict reported; null before the first. */
        private Boolean healthy;
        private int successes;
        private int failures;

        Probe(Endpoint endpoint, Channel channel, HealthCheckSettings settings, EndpointHealthSink sink) {
            this.endpoint = endpoint;
            this.channel = channel;
            this.settings = settings;
            this.sink = sink;
            this.request = HealthCheckRequest.newBuilder().setService(settings.service()).build();
            this.watching = settings.mode() == HealthCheckMode.AUTO;
        }

        void begin() {
            if (watching) {
                watch();
            } else {
                check();
            }
        }

        @Override
        public void close() {
            run(() -> {
                closed = true;
                generation++;
                cancelTimer();
                if (call != null) {
                    call.cancel("health check stopped", null);
                    call = null;
                }
            });
        }

        // ---- Watch ----

        private void watch() {
            if (closed) {
                return;
            }
            final long id = ++generation;
            final ClientCall<HealthCheckRequest, HealthCheckResponse> watch =
                    channel.newCall(HealthGrpc.getWatchMethod(), CallOptions.DEFAULT.withExecutor(executor));
            call = watch;
            final boolean[] answered = {false};
            final boolean[] timedOut = {false};
            // PROTOCOLS.md B13: clients should bound the wait; the server answers a Watch at once.
            timer = executor.schedule(() -> {
                if (id == generation && !answered[0]) {
                    timedOut[0] = true;
                    watch.cancel("no answer within " + settings.timeout().toMillis() + " ms", null);
                }
            }, settings.timeout().toNanos(), TimeUnit.NANOSECONDS);
            watch.start(new ClientCall.Listener<>() {
                @Override
                public void onMessage(HealthCheckResponse response) {
                    if (id != generation) {
                        return;
                    }
                    if (!answered[0]) {
                        answered[0] = true;
                        cancelTimer();
                    }
                    final HealthCheckResponse.ServingStatus status = response.getStatus();
                    if (status == HealthCheckResponse.ServingStatus.SERVING) {
                        observe(true, null, true);
                    } else {
                        observe(false, "Watch reported " + status + servicePart(), true);
                    }
                    watch.request(1);
                }

                @Override
                public void onClose(Status status, Metadata trailers) {
                    if (id != generation) {
                        return;
                    }
                    cancelTimer();
                    call = null;
                    if (status.getCode() == Status.Code.UNIMPLEMENTED) {
                        // The server has no Watch (or no health service at all): poll with Check instead.
                        log.debug("{}: no Watch, polling with Check", endpoint);
                        watching = false;
                        check();
                        return;
                    }
                    observe(false, timedOut[0] ? "no answer to Watch within " + settings.timeout().toMillis()
                                                 + " ms" : "Watch ended: " + describe(status), false);
                    schedule(Probe.this::watch);
                }
            }, new Metadata());
            watch.sendMessage(request);
            watch.halfClose();
            watch.request(1);
        }

        // ---- Check ----

        private void check() {
            if (closed) {
                return;
            }
            final long id = ++generation;
            final ClientCall<HealthCheckRequest, HealthCheckResponse> check = channel.newCall(
                    HealthGrpc.getCheckMethod(),
                    CallOptions.DEFAULT.withExecutor(executor)
                                       .withDeadlineAfter(settings.timeout().toNanos(), TimeUnit.NANOSECONDS));
            call = check;
            final HealthCheckResponse[] answer = {null};
            check.start(new ClientCall.Listener<>() {
                @Override
                public void onMessage(HealthCheckResponse response) {
                    answer[0] = response;
                }

                @Override
                public void onClose(Status status, Metadata trailers) {
                    if (id != generation) {
                        return;
                    }
                    call = null;
                    judgeCheck(status, answer[0]);
                    schedule(Probe.this::check);
                }
            }, new Metadata());
            check.sendMessage(request);
            check.halfClose();
            check.request(1);
        }

        private void judgeCheck(Status status, HealthCheckResponse response) {
            switch (status.getCode()) {
                case OK -> {
                    if (response != null && response.getStatus() == HealthCheckResponse.ServingStatus.SERVING) {
                        observe(true, null, false);
                    } else {
                        observe(false, "Check reported " + (response == null ? "nothing" : response.getStatus())
                                       + servicePart(), false);
                    }
                }
                case UNIMPLEMENTED -> {
                    // It answered, so it is up; whether that is enough is the configuration's call.
                    final boolean reachable =
                            settings.unimplemented() == UnimplementedHealthRule.HEALTHY_IF_REACHABLE;
                    observe(reachable, "it does not implement grpc.health.v1.Health", false);
                }
                // PROTOCOLS.md B13: an unknown service is NOT_FOUND to Check.
                case NOT_FOUND -> observe(false, "it does not know the service" + servicePart(), false);
                default -> observe(false, "Check failed: " + describe(status), false);
            }
        }

        // ---- verdicts ----

        /**
         * Counts one result. An immediate result (a Watch answer), or the first result of all, decides at
         * once; otherwise the verdict flips after the threshold of results in a row.
         */
        private void observe(boolean ok, String reason, boolean immediate) {
            if (closed) {
                return;
            }
            if (ok) {
                failures = 0;
                successes++;
                if (!Boolean.TRUE.equals(healthy)
                    && (healthy == null || immediate || successes >= settings.healthyThreshold())) {
                    healthy = true;
                    sink.healthy();
                }
            } else {
                successes = 0;
                failures++;
                if (!Boolean.FALSE.equals(healthy)
                    && (healthy == null || immediate || failures >= settings.unhealthyThreshold())) {
                    healthy = false;
                    sink.unhealthy(reason);
                }
            }
        }

        private void schedule(Runnable next) {
            if (closed) {
                return;
            }
            final long interval = settings.interval().toNanos();
            final long jitter = (long) (interval * JITTER * (2 * ThreadLocalRandom.current().nextDouble() - 1));
            timer = executor.schedule(next, interval + jitter, TimeUnit.NANOSECONDS);
        }

        private void cancelTimer() {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
        }

        private String servicePart() {
            return settings.service().isEmpty() ? "" : " for service " + settings.service();
        }
    }

    private static String describe(Status status) {
        final StringBuilder text = new StringBuilder(status.getCode().name());
        if (status.getDescription() != null) {
            text.append(' ').append(status.getDescription());
        }
        if (status.getCause() != null) {
            text.append(" (").append(status.getCause().getMessage()).append(')');
        }
        return text.toString();
    }
}
