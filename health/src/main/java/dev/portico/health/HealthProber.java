package dev.portico.health;

import static java.util.Objects.requireNonNull;

import dev.portico.config.HealthCheckMode;
import dev.portico.config.HealthCheckSettings;
import dev.portico.config.UnimplementedHealthRule;
import dev.portico.upstream.Endpoint;
import dev.portico.upstream.EndpointHealthChecker;
import dev.portico.upstream.EndpointHealthSink;
import dev.portico.upstream.HealthCheckResult;
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
 * reports verdicts to the pool through {@link EndpointHealthSink}, judging the way a careful operator would:
 * an answer is believed, a missing answer is only a hint.
 *
 * <p>Per endpoint, in {@link HealthCheckMode#AUTO}: a {@code Watch} stream, whose every answer counts at once
 * (the server announces changes itself). An endpoint answering {@code Watch} with UNIMPLEMENTED is asked with
 * {@code Check} instead, as in {@link HealthCheckMode#CHECK}: one call per interval, with the timeout as its
 * deadline.
 *
 * <ul>
 *   <li>An explicit answer that the endpoint does not serve (NOT_SERVING, SERVICE_UNKNOWN, {@code NOT_FOUND}
 *       to Check: the service name is unknown to it) is {@link EndpointHealthSink#unhealthy} at once.
 *   <li>SERVING is {@link EndpointHealthSink#healthy}: at once for a Watch answer or an endpoint's first
 *       verdict, else after the healthy threshold of Check results in a row.
 *   <li>No answer (a Check that fails or times out, a Watch that breaks or brings no first answer within the
 *       timeout) is one failure; {@code unhealthy-threshold} of them in a row are
 *       {@link EndpointHealthSink#checksFailing}, repeated on each further one. A slow health service under
 *       load therefore never takes an endpoint out on one late answer, and an endpoint whose first check has
 *       not answered yet keeps its place meanwhile.
 *   <li>An endpoint without the health service at all (UNIMPLEMENTED to {@code Check}) follows
 *       {@link UnimplementedHealthRule}.
 * </ul>
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
            executor.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException | Error e) {
                    // An executor keeps a task's exception to itself: say it, or checks stop silently.
                    log.warn("a health check task failed", e);
                }
            });
        } catch (RejectedExecutionException e) {
            // Closed: the pool is shutting down and closes the channels, which ends any call left.
            log.debug("health prober closed, task dropped");
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
        public void checkNow() {
            run(() -> {
                if (!closed && call == null) {
                    cancelTimer();
                    begin();
                }
            });
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
                    switch (status) {
                        case SERVING -> serving(true);
                        case NOT_SERVING, SERVICE_UNKNOWN ->
                                notServing("Watch reported " + status + servicePart());
                        // UNKNOWN: the server does not know yet. Wait for its next answer.
                        case UNKNOWN, UNRECOGNIZED -> { }
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
                    noAnswer(timedOut[0] ? "no answer to Watch within " + settings.timeout().toMillis() + " ms"
                                         : "Watch ended: " + describe(status));
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
                    final HealthCheckResponse.ServingStatus serving =
                            response == null ? HealthCheckResponse.ServingStatus.UNKNOWN : response.getStatus();
                    switch (serving) {
                        case SERVING -> serving(false);
                        case NOT_SERVING, SERVICE_UNKNOWN ->
                                notServing("Check reported " + serving + servicePart());
                        case UNKNOWN, UNRECOGNIZED -> noAnswer("Check reported " + serving + servicePart());
                    }
                }
                case UNIMPLEMENTED -> {
                    // It answered, so it is up; whether that is enough is the configuration's call.
                    if (settings.unimplemented() == UnimplementedHealthRule.HEALTHY_IF_REACHABLE) {
                        serving(false);
                    } else {
                        notServing("it does not implement grpc.health.v1.Health");
                    }
                }
                // PROTOCOLS.md B13: an unknown service is NOT_FOUND to Check.
                case NOT_FOUND -> notServing("it does not know the service" + servicePart());
                default -> noAnswer("Check failed: " + describe(status));
            }
        }

        // ---- verdicts ----

        /**
         * The endpoint answered SERVING. A Watch answer ({@code announced}) or an endpoint's first verdict
         * counts at once; Check results flip an unhealthy endpoint after the healthy threshold in a row.
         */
        private void serving(boolean announced) {
            if (closed) {
                return;
            }
            sink.checked(HealthCheckResult.SERVING);
            failures = 0;
            successes++;
            if (!Boolean.TRUE.equals(healthy)
                && (healthy == null || announced || successes >= settings.healthyThreshold())) {
                healthy = true;
                sink.healthy();
            }
        }

        /** The endpoint said it does not serve: believed at once, whatever the thresholds. */
        private void notServing(String reason) {
            if (closed) {
                return;
            }
            sink.checked(HealthCheckResult.NOT_SERVING);
            successes = 0;
            failures = 0;
            healthy = false;
            sink.unhealthy(reason);
        }

        /** A check got no answer: one failure; from the threshold on, each one is reported. */
        private void noAnswer(String reason) {
            if (closed) {
                return;
            }
            sink.checked(HealthCheckResult.NO_ANSWER);
            successes = 0;
            failures++;
            if (failures >= settings.unhealthyThreshold()) {
                healthy = false;
                sink.checksFailing(reason + (failures > 1 ? " (" + failures + " checks in a row)" : ""));
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
