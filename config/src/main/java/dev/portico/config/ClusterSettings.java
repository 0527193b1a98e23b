package dev.portico.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;

/**
 * One upstream cluster: a set of interchangeable endpoints serving the same services
 * ({@code portico.upstream.clusters.<name>}, or the default cluster from {@code portico.upstream} itself).
 *
 * @param name               bounded name, used in messages and as the {@code cluster} metric tag
 * @param endpoints          {@code host:port} entries; a DNS name stands for every address it resolves to
 * @param services           which calls come here: exact service names ({@code pkg.Service}) or package
 *                           prefixes ({@code pkg.*}); empty for the default cluster, which takes every call no
 *                           other cluster claims
 * @param channel            how endpoints are connected to
 * @param dnsRefreshInterval positive; how often DNS names are resolved again
 * @param maxAttempts        1..10 endpoints one call may be tried on; a call is only tried again when nothing
 *                           of it reached an upstream
 * @param panicMode          true: when no endpoint is healthy, calls go to all of them instead of failing
 * @param waitForReadyTimeout how long a call may wait for an endpoint that is reconnecting, when no other can
 *                           take it (zero: it fails at once); its deadline bounds the wait too
 * @param healthCheck        active health checks
 * @param outlierDetection   passive ejection
 */
public record ClusterSettings(String name, List<HostAndPort> endpoints, List<String> services,
                              UpstreamChannelSettings channel, Duration dnsRefreshInterval, int maxAttempts,
                              boolean panicMode, Duration waitForReadyTimeout, HealthCheckSettings healthCheck,
                              OutlierDetectionSettings outlierDetection) {

    /** The name of the cluster that takes the calls no other cluster claims. */
    public static final String DEFAULT = "default";

    public ClusterSettings {
        requireNonNull(name, "name");
        endpoints = List.copyOf(endpoints);
        services = List.copyOf(services);
        requireNonNull(channel, "channel");
        requireNonNull(dnsRefreshInterval, "dnsRefreshInterval");
        requireNonNull(waitForReadyTimeout, "waitForReadyTimeout");
        requireNonNull(healthCheck, "healthCheck");
        requireNonNull(outlierDetection, "outlierDetection");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1");
        }
    }

    /** The same cluster with other endpoints. */
    public ClusterSettings withEndpoints(List<HostAndPort> newEndpoints) {
        return new ClusterSettings(name, newEndpoints, services, channel, dnsRefreshInterval, maxAttempts,
                                   panicMode, waitForReadyTimeout, healthCheck, outlierDetection);
    }

    /** The same cluster over h2c. */
    public ClusterSettings withPlaintext() {
        return new ClusterSettings(name, endpoints, services, channel.asPlaintext(), dnsRefreshInterval,
                                   maxAttempts, panicMode, waitForReadyTimeout, healthCheck, outlierDetection);
    }
}
