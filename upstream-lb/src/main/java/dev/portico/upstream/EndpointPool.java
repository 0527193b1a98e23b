package dev.portico.upstream;

import static java.util.Objects.requireNonNull;

import dev.portico.config.ClusterSettings;
import dev.portico.config.HostAndPort;
import dev.portico.config.LimitSettings;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One cluster's endpoints, one grpc-java channel each, and the picker its calls use.
 *
 * <p>Endpoints come from the configured {@code host:port} targets: an IP literal is one endpoint, a DNS name
 * one endpoint per address, resolved again every {@code dns-refresh-interval}. An endpoint that leaves has
 * its channel shut down gracefully, so calls in flight on it finish.
 *
 * <p>Each endpoint's {@link EndpointState} combines its health checks, its connection (a channel in
 * TRANSIENT_FAILURE counts as unhealthy) and passive ejection. Health checks that get no answer take an
 * endpoint out only while no call to it succeeds, and a call that succeeds puts it back. Every change
 * rebuilds an immutable {@link Picker}: round robin over the healthy endpoints, else over those not checked
 * yet, else (panic mode) over all, else over the endpoints that may come back by themselves (reconnecting, or
 * unanswered checks) with calls that wait for them, else a {@link PickResult.NoEndpoint} naming the cluster.
 * When only one endpoint can take calls, its calls wait for its connection too, for at most
 * {@code wait-for-ready-timeout}: there is no other endpoint to fail over to. Calls wait only for endpoints
 * that were connected before.
 *
 * <p>While an endpoint's connection fails, its channel is told to reconnect every health-check interval
 * (grpc-java's own back-off grows to two minutes), and when it connects again it is checked at once: a
 * restarted backend is back within one interval of listening again.
 *
 * <p><b>Threads:</b> membership and states change only on the control thread (a single-threaded scheduler
 * shared by all clusters); DNS lookups run on the DNS thread. {@link #pick} reads the published picker from
 * any thread without locking. Call outcomes arrive on any thread and touch only atomics until an ejection
 * is due.
 */
final class EndpointPool {
    private static final Logger log = LoggerFactory.getLogger(EndpointPool.class);

    // IP literals are their own address: no DNS lookup, never refreshed. IPv6 literals are the hosts with ':'.
    private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");

    private final ClusterSettings settings;
    private final EndpointChannels channels;
    private final EndpointResolver resolver;
    private final EndpointHealthChecker checker;
    private final ScheduledExecutorService control;
    private final Executor dns;
    private final Runnable onChange;
    private final OutlierDetector outliers;
    /** Where each endpoint's meters are registered while it is a member (see {@link EndpointMeters}). */
    private final MeterRegistry meters;
    private final Counter retries;
    /** {@link Member#lastSuccessNanos} before any call succeeded. */
    private static final long NEVER = Long.MIN_VALUE;
    /** A success is noted at most this often per endpoint: a write per call would bounce a cache line. */
    private static final long SUCCESS_RESOLUTION_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /** Shared by successive pickers, so that a rebuild does not restart the rotation. */
    private final AtomicInteger next = new AtomicInteger();
    private final PickResult.NoEndpoint exhausted;

    // Control thread only.
    private Map<Endpoint, Member> members = new LinkedHashMap<>();
    private final Map<HostAndPort, List<Endpoint>> lastResolved = new HashMap<>();
    private final Map<HostAndPort, String> resolveErrors = new LinkedHashMap<>();
    /** Channels of endpoints that left, still finishing their calls. */
    private final List<ManagedChannel> draining = new ArrayList<>();
    private ScheduledFuture<?> refresh;
    /** A DNS resolution is running on the dns thread. */
    private final AtomicBoolean resolving = new AtomicBoolean();
    private boolean panicking;
    private boolean closed;

    private volatile Picker picker;
    /** The picker's endpoints are all coming back: its calls wait for them. */
    private volatile boolean picksWait;
    private volatile ClusterHealth health;

    EndpointPool(ClusterSettings settings, LimitSettings limits, EndpointResolver resolver,
                 EndpointHealthChecker checker, ScheduledExecutorService control, Executor dns,
                 UpstreamLoops loops, Runnable onChange, MeterRegistry meters) {
        this.settings = requireNonNull(settings, "settings");
        this.channels = new EndpointChannels(settings.channel(), limits, loops);
        this.resolver = requireNonNull(resolver, "resolver");
        this.checker = requireNonNull(checker, "checker");
        this.control = requireNonNull(control, "control");
        this.dns = requireNonNull(dns, "dns");
        this.onChange = requireNonNull(onChange, "onChange");
        this.outliers = new OutlierDetector(settings.outlierDetection(), System::nanoTime);
        this.meters = requireNonNull(meters, "meters");
        this.retries = Counter.builder("portico.upstream.retries")
                .description("Calls sent to another endpoint after nothing of them reached the first one")
                .tag("cluster", settings.name())
                .register(meters);
        this.exhausted = new PickResult.NoEndpoint(
                "no other endpoint of upstream cluster " + settings.name() + " can take the call");
        this.picker = Picker.none(
                new PickResult.NoEndpoint("upstream cluster " + settings.name() + " is starting"));
        this.health = new ClusterHealth(settings.name(), Map.of());
    }

    String name() {
        return settings.name();
    }

    ClusterSettings settings() {
        return settings;
    }

    /**
     * Resolves the targets once, on the calling thread (so that calls right after start-up have endpoints),
     * and schedules the refreshes. Runs once, before any pick.
     */
    void start() {
        final List<Resolution> first = resolveAll();
        onControl(() -> apply(first));
        final boolean anyName = settings.endpoints().stream().anyMatch(t -> !isLiteral(t.host()));
        if (anyName) {
            final long interval = settings.dnsRefreshInterval().toNanos();
            onControl(() -> refresh = control.scheduleWithFixedDelay(() -> {
                // One resolution at a time: a slow name server skips rounds instead of queueing them.
                if (resolving.compareAndSet(false, true)) {
                    dns.execute(() -> {
                        try {
                            final List<Resolution> answers = resolveAll();
                            onControl(() -> apply(answers));
                        } finally {
                            resolving.set(false);
                        }
                    });
                }
            }, interval, interval, TimeUnit.NANOSECONDS));
        }
    }

    /** The next endpoint for a call, skipping {@code excluded}. Lock-free; never blocks. */
    PickResult pick(Collection<Endpoint> excluded) {
        return picker.pick(excluded);
    }

    /** The endpoint the next call would get, without taking its turn. */
    PickResult peek() {
        return picker.peek();
    }

    /** Another endpoint for a call that tried {@code tried} without reaching any, within the attempt budget. */
    PickResult retry(List<Endpoint> tried) {
        if (tried.size() >= settings.maxAttempts()) {
            return new PickResult.NoEndpoint("the call failed on " + tried.size()
                                             + " endpoints of upstream cluster " + settings.name());
        }
        // A call that waited for an endpoint in vain does not wait again: wait-for-ready-timeout is its bound.
        final PickResult next = picksWait ? exhausted : picker.pick(tried);
        if (next instanceof PickResult.Picked) {
            retries.increment();
        }
        return next;
    }

    ClusterHealth health() {
        return health;
    }

    // ---- resolution ----

    /** One target's answer: its endpoints, or why it could not be resolved. */
    private record Resolution(HostAndPort target, List<Endpoint> endpoints, String error) {
    }

    /** Resolves every target. May block on DNS: runs at start-up and on the DNS thread. */
    private List<Resolution> resolveAll() {
        final List<Resolution> answers = new ArrayList<>();
        for (HostAndPort target : settings.endpoints()) {
            try {
                final List<InetAddress> addresses = isLiteral(target.host())
                        ? List.of(InetAddress.getByName(target.host())) // parses the literal, no lookup
                        : resolver.resolve(target.host());
                final List<Endpoint> endpoints = new ArrayList<>();
                for (InetAddress address : addresses) {
                    endpoints.add(new Endpoint(target, new InetSocketAddress(address, target.port())));
                }
                answers.add(new Resolution(target, endpoints, null));
            } catch (UnknownHostException e) {
                answers.add(new Resolution(target, null, "unknown host " + target.host()));
            } catch (RuntimeException e) {
                // A resolver is outside code; its failure must not stop the refreshes.
                answers.add(new Resolution(target, null, "resolving " + target.host() + " failed: " + e));
            }
        }
        return answers;
    }

    private static boolean isLiteral(String host) {
        return host.indexOf(':') >= 0 || IPV4.matcher(host).matches();
    }

    /** Takes in a round of answers; a target that failed to resolve keeps its previous endpoints. */
    private void apply(List<Resolution> answers) {
        if (closed) {
            return;
        }
        final Set<Endpoint> wanted = new LinkedHashSet<>();
        for (Resolution answer : answers) {
            if (answer.error() == null) {
                lastResolved.put(answer.target(), answer.endpoints());
                if (resolveErrors.remove(answer.target()) != null) {
                    log.info("upstream cluster {}: {} resolves again", settings.name(), answer.target());
                }
                if (answer.endpoints().isEmpty()) {
                    log.warn("upstream cluster {}: {} resolved to no address", settings.name(),
                             answer.target());
                }
                wanted.addAll(answer.endpoints());
            } else {
                final List<Endpoint> previous = lastResolved.getOrDefault(answer.target(), List.of());
                if (!answer.error().equals(resolveErrors.put(answer.target(), answer.error()))) {
                    log.warn("upstream cluster {}: {}; keeping its {} previous address(es)", settings.name(),
                             answer.error(), previous.size());
                }
                wanted.addAll(previous);
            }
        }
        update(wanted);
    }

    /** Makes {@code wanted} the endpoints, in that order: opens the new ones, retires the ones gone. */
    private void update(Set<Endpoint> wanted) {
        final Map<Endpoint, Member> updated = new LinkedHashMap<>();
        boolean changed = false;
        for (Endpoint endpoint : wanted) {
            Member member = members.remove(endpoint);
            if (member == null) {
                member = open(endpoint);
                changed = true;
            }
            updated.put(endpoint, member);
        }
        final Collection<Member> left = members.values();
        members = updated;
        // An empty cluster republishes too: its answer names the latest resolution errors. Before the
        // endpoints that left are retired: no pick lands on a closed channel, and a scrape never counts an
        // endpoint whose own series are already gone.
        if (changed || !left.isEmpty() || members.isEmpty()) {
            publish();
        }
        for (Member gone : left) {
            log.info("upstream cluster {}: endpoint {} left; its calls in flight finish", settings.name(),
                     gone.endpoint);
            retire(gone);
            draining.add(gone.channel);
        }
        draining.removeIf(ManagedChannel::isTerminated);
    }

    private Member open(Endpoint endpoint) {
        final Member member = new Member(endpoint, channels.open(endpoint));
        log.info("upstream cluster {}: endpoint {} joined", settings.name(), endpoint);
        if (settings.healthCheck().enabled()) {
            member.health = EndpointState.STARTING;
            // Health checks see too_many_pings first: their Watch is the call that is always in flight.
            final Channel checked = ClientInterceptors.intercept(member.channel,
                                                                 TooManyPings.watcher(member::tooManyPings));
            member.check = checker.start(endpoint, checked, settings.healthCheck(), new Sink(member));
        } else {
            member.health = EndpointState.HEALTHY;
        }
        watchConnectivity(member);
        return member;
    }

    private void retire(Member member) {
        member.retired = true;
        if (member.check != null) {
            member.check.close();
        }
        if (member.ejectionEnd != null) {
            member.ejectionEnd.cancel(false);
        }
        if (member.reconnecting != null) {
            member.reconnecting.cancel(false);
        }
        member.channel.shutdown();
        member.meters.remove();
    }

    // ---- state ----

    /** Follows the channel's connectivity: a channel whose connection attempts fail takes no calls. */
    private void watchConnectivity(Member member) {
        if (member.retired) {
            return;
        }
        final ConnectivityState now = member.channel.getState(false);
        final boolean failing = now == ConnectivityState.TRANSIENT_FAILURE;
        if (now == ConnectivityState.READY && !member.everConnected) {
            member.everConnected = true;
            publish(); // Its calls may wait for it from now on.
        }
        if (failing != member.connectionFailing) {
            member.connectionFailing = failing;
            if (failing) {
                log.warn("upstream cluster {}: endpoint {} cannot be connected to", settings.name(),
                         member.endpoint);
                // grpc-java waits longer before each attempt (up to two minutes); a backend that restarts
                // should be found within one interval of listening again.
                final long interval = settings.healthCheck().interval().toNanos();
                member.reconnecting = control.scheduleWithFixedDelay(member.channel::resetConnectBackoff,
                                                                     interval, interval, TimeUnit.NANOSECONDS);
            } else {
                log.info("upstream cluster {}: endpoint {} is connecting again", settings.name(),
                         member.endpoint);
                member.reconnecting.cancel(false);
                member.reconnecting = null;
                if (member.check != null) {
                    member.check.checkNow(); // Its health before the outage says little about it now.
                }
            }
            publish();
        }
        member.channel.notifyWhenStateChanged(now, () -> onControl(() -> watchConnectivity(member)));
    }

    private void setHealth(Member member, EndpointState state, String reason) {
        setHealth(member, state, reason, false);
    }

    /** {@code failingChecks}: the verdict comes from checks without an answer, not from the endpoint. */
    private void setHealth(Member member, EndpointState state, String reason, boolean failingChecks) {
        member.keptByCalls = false;
        if (member.retired || member.health == state && member.failingChecks == failingChecks) {
            return;
        }
        member.failingChecks = failingChecks;
        if (member.health == state) {
            publish(); // Same state, other cause: whether calls may wait for it changed.
            return;
        }
        if (state == EndpointState.HEALTHY) {
            log.info("upstream cluster {}: endpoint {} is healthy", settings.name(), member.endpoint);
        } else {
            log.warn("upstream cluster {}: endpoint {} is unhealthy: {}", settings.name(), member.endpoint,
                     reason);
        }
        member.health = state;
        publish();
    }

    /**
     * The endpoint's checks keep getting no answer. That takes it out only if no call to it succeeded while
     * they failed: a busy health service must not take a serving endpoint out of rotation.
     */
    private void checksFailing(Member member, String reason) {
        if (member.retired || member.health == EndpointState.UNHEALTHY) {
            return; // Already out, for this or a better reason (it said so).
        }
        final var check = settings.healthCheck();
        final long window = check.interval().plus(check.timeout()).multipliedBy(check.unhealthyThreshold())
                .toNanos();
        final long last = member.lastSuccessNanos;
        if (last != NEVER && System.nanoTime() - last <= window) {
            if (!member.keptByCalls) {
                member.keptByCalls = true;
                log.info("upstream cluster {}: endpoint {}: health checks get no answer ({}), but calls to it "
                         + "succeed: it stays in rotation", settings.name(), member.endpoint, reason);
            }
            return;
        }
        setHealth(member, EndpointState.UNHEALTHY, reason + ", and no call to it succeeded meanwhile", true);
    }

    /** A call to an endpoint taken out by unanswered checks succeeded: it is back. */
    private void callSucceeded(Member member) {
        if (member.failingChecks && !member.retired) {
            log.info("upstream cluster {}: endpoint {}: a call to it succeeded; back in rotation",
                     settings.name(), member.endpoint);
            setHealth(member, EndpointState.HEALTHY, null);
        }
    }

    private void considerEjecting(Member member) {
        if (member.retired || closed) {
            member.outlier.decisionPending.set(false);
            return;
        }
        int ejected = 0;
        for (Member m : members.values()) {
            ejected += m.outlier.ejected ? 1 : 0;
        }
        outliers.eject(member.outlier, members.size(), ejected).ifPresent(length -> {
            log.warn("upstream cluster {}: endpoint {} ejected for {} ms after {} failed calls in a row",
                     settings.name(), member.endpoint, length.toMillis(),
                     settings.outlierDetection().consecutiveFailures());
            member.meters.ejected();
            member.ejectionEnd = control.schedule(() -> {
                if (!member.retired) {
                    outliers.returned(member.outlier);
                    log.info("upstream cluster {}: endpoint {} is back from ejection", settings.name(),
                             member.endpoint);
                    publish();
                }
            }, length.toNanos(), TimeUnit.NANOSECONDS);
            publish();
        });
    }

    /** Rebuilds the picker and the health snapshot from the members' states. */
    private void publish() {
        final Map<EndpointState, Integer> counts = new EnumMap<>(EndpointState.class);
        final List<Member> healthy = new ArrayList<>();
        final List<Member> starting = new ArrayList<>();
        final List<Member> comingBack = new ArrayList<>();
        final List<Member> all = new ArrayList<>();
        for (Member member : members.values()) {
            final EndpointState state = member.state();
            counts.merge(state, 1, Integer::sum);
            if (member.published != null && member.published != state) {
                member.meters.stateChanged(state);
            }
            member.published = state;
            switch (state) {
                case HEALTHY -> healthy.add(member);
                case STARTING -> starting.add(member);
                case UNHEALTHY -> {
                    if (member.mayComeBack()) {
                        comingBack.add(member);
                    }
                }
                case EJECTED -> { }
            }
            all.add(member);
        }
        final ClusterHealth snapshot = new ClusterHealth(settings.name(), counts);
        boolean panic = false;
        boolean waiting = false;
        final Picker updated;
        if (!healthy.isEmpty()) {
            updated = roundRobin(healthy, false);
        } else if (!starting.isEmpty()) {
            // Nothing is known to be healthy yet (start-up, or only new endpoints): try the unchecked ones
            // rather than refuse every call.
            updated = roundRobin(starting, false);
        } else if (settings.panicMode() && !all.isEmpty()) {
            panic = true;
            updated = roundRobin(all, false);
        } else if (!comingBack.isEmpty() && !settings.waitForReadyTimeout().isZero()) {
            // Nothing said it does not serve: calls wait (bounded) for a reconnection or an answer.
            waiting = true;
            updated = roundRobin(comingBack, true);
        } else {
            updated = Picker.none(new PickResult.NoEndpoint(noEndpointReason(snapshot)));
        }
        if (panic != panicking) {
            panicking = panic;
            if (panic) {
                log.warn("upstream cluster {}: no endpoint is healthy; panic mode sends calls to all {}",
                         settings.name(), all.size());
            } else {
                log.info("upstream cluster {}: out of panic mode", settings.name());
            }
        }
        picksWait = waiting;
        picker = updated;
        health = snapshot;
        onChange.run();
    }

    /**
     * Round robin over {@code candidates}; with {@code waiting}, or a single one, its calls wait for it if it
     * was ever connected (one that never was is more likely misconfigured than restarting).
     */
    private Picker roundRobin(List<Member> candidates, boolean waiting) {
        final List<PickResult.Picked> picks = new ArrayList<>(candidates.size());
        for (Member member : candidates) {
            final boolean wait = (waiting || candidates.size() == 1) && member.waitingPick != null
                                 && member.everConnected;
            picks.add(wait ? member.waitingPick : member.picked);
        }
        return Picker.roundRobin(picks, next, exhausted);
    }

    private String noEndpointReason(ClusterHealth snapshot) {
        if (members.isEmpty()) {
            final String errors = resolveErrors.isEmpty()
                                  ? "" : " (" + String.join("; ", resolveErrors.values()) + ")";
            return "upstream cluster " + settings.name() + " has no endpoints" + errors;
        }
        return "no healthy endpoint in upstream cluster " + settings.name() + " (" + snapshot.describe() + ")";
    }

    /** Runs {@code task} on the control thread, unless the pool is closing. */
    private void onControl(Runnable task) {
        try {
            control.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException | Error e) {
                    // An executor keeps a task's exception to itself: say it, or the pool stops updating silently.
                    log.warn("upstream cluster {}: updating the endpoints failed", settings.name(), e);
                }
            });
        } catch (RejectedExecutionException e) {
            log.debug("upstream cluster {}: closing, update dropped", settings.name());
        }
    }

    /** Stops refreshing and retires every endpoint; returns every channel still open. Control thread. */
    List<ManagedChannel> close() {
        closed = true;
        if (refresh != null) {
            refresh.cancel(false);
        }
        final List<ManagedChannel> open = new ArrayList<>(draining);
        for (Member member : members.values()) {
            retire(member);
            open.add(member.channel);
        }
        members = new LinkedHashMap<>();
        picker = Picker.none(new PickResult.NoEndpoint("Portico is shutting down"));
        return open;
    }

    /** One endpoint of the cluster. Fields without a note belong to the control thread. */
    private final class Member implements CallOutcomeListener {
        final Endpoint endpoint;
        final ManagedChannel channel;
        final EndpointMeters meters;
        final PickResult.Picked picked;
        /** The same, with calls that wait for a connection; null when waiting is off. */
        final PickResult.Picked waitingPick;
        /** Counts are atomics, touched by every call's thread. */
        final OutlierDetector.Counters outlier = new OutlierDetector.Counters();
        final AtomicBoolean tooManyPingsReported = new AtomicBoolean();
        /** When a call to it last succeeded, to {@link #SUCCESS_RESOLUTION_NANOS}; written by calls. */
        volatile long lastSuccessNanos = NEVER;
        /** Out because its checks got no answer (not because it said so): a call that succeeds puts it back. */
        volatile boolean failingChecks;
        EndpointState health;
        /** The state the last {@link #publish} saw; null before the first. */
        EndpointState published;
        boolean connectionFailing;
        /** It was connected once: a failing connection is then likelier a restart than a misconfiguration. */
        boolean everConnected;
        /** Its checks get no answer but its calls succeed, and that was logged. */
        boolean keptByCalls;
        boolean retired;
        EndpointHealthChecker.HealthCheck check;
        ScheduledFuture<?> ejectionEnd;
        /** Resets the channel's reconnect back-off every health-check interval while it cannot connect. */
        ScheduledFuture<?> reconnecting;

        Member(Endpoint endpoint, ManagedChannel channel) {
            this.endpoint = endpoint;
            this.channel = channel;
            this.meters = new EndpointMeters(EndpointPool.this.meters, settings.name(), endpoint);
            this.picked = new PickResult.Picked(endpoint, channel, this);
            final Duration wait = settings.waitForReadyTimeout();
            this.waitingPick = wait.isZero() ? null : new PickResult.Picked(endpoint, new WaitForReadyChannel(
                    channel, wait, "endpoint " + endpoint + " of upstream cluster " + settings.name(), control),
                    this);
        }

        /** Not out because it said so: it may be back by itself (a reconnection, an answer). */
        boolean mayComeBack() {
            return everConnected && (connectionFailing || failingChecks);
        }

        EndpointState state() {
            if (outlier.ejected) {
                return EndpointState.EJECTED;
            }
            return connectionFailing ? EndpointState.UNHEALTHY : health;
        }

        @Override
        public void onCallStarted() {
            meters.callStarted();
        }

        /** Any thread, once per call attempt. */
        @Override
        public void onCallClosed(Status status) {
            meters.callClosed(status.getCode());
            if (outliers.record(outlier, status.getCode())) {
                onControl(() -> considerEjecting(this));
            }
            if (OutlierDetector.classify(status.getCode()) == OutlierDetector.Outcome.SUCCESS) {
                // The endpoint answered: evidence of health as good as a check's.
                final long now = System.nanoTime();
                final long last = lastSuccessNanos;
                if (last == NEVER || now - last > SUCCESS_RESOLUTION_NANOS) {
                    lastSuccessNanos = now;
                }
                if (failingChecks) {
                    onControl(() -> callSucceeded(this));
                }
            }
            // RESOURCE_EXHAUSTED: counted as an answer above too (the endpoint is up, only strict).
            if (TooManyPings.endedBy(status)) {
                tooManyPings();
            }
        }

        /** The endpoint ended a connection with GOAWAY too_many_pings. Any thread; logged once per endpoint. */
        void tooManyPings() {
            if (tooManyPingsReported.compareAndSet(false, true)) {
                log.warn("upstream cluster {}: endpoint {} closed a connection with GOAWAY too_many_pings (its "
                         + "calls failed): it permits keep-alive PINGs less often than keep-alive-time = {}s "
                         + "(grpc-java permitKeepAliveTime, grpc-go MinTime). Portico now pings it half as "
                         + "often (the interval doubles on each such GOAWAY); set keep-alive-time to the "
                         + "upstream's limit",
                         settings.name(), endpoint, settings.channel().keepAliveTime().toSeconds());
            }
        }
    }

    /** Verdicts of one member's health check, handed to the control thread. */
    private final class Sink implements EndpointHealthSink {
        private final Member member;

        Sink(Member member) {
            this.member = member;
        }

        @Override
        public void healthy() {
            onControl(() -> setHealth(member, EndpointState.HEALTHY, null));
        }

        @Override
        public void unhealthy(String reason) {
            onControl(() -> setHealth(member, EndpointState.UNHEALTHY, reason));
        }

        @Override
        public void checksFailing(String reason) {
            onControl(() -> EndpointPool.this.checksFailing(member, reason));
        }

        @Override
        public void checked(HealthCheckResult result) {
            member.meters.healthChecked(result);
        }
    }
}
