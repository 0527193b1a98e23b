package dev.portico.proxy.schema;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.AsyncCacheLoader;
import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.TypeRegistry;
import dev.portico.config.SchemaSettings;
import dev.portico.proxy.metrics.SchemaMetrics;
import io.grpc.Channel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds method schemas: descriptor-set files first, then the upstream's gRPC server reflection.
 *
 * <p><b>Files.</b> The {@code portico.schema.descriptor-sets} are read and linked once, in the constructor, and
 * their services are kept for the registry's life.
 *
 * <p><b>Reflection.</b> A service no file has is asked for from the upstream that {@code channels} names,
 * through {@link ReflectionClient} ({@code grpc.reflection.v1}, then {@code v1alpha}), on first use. The
 * answers are cached per service in a bounded Caffeine cache ({@code max-services}), where each outcome lives
 * as long as it deserves: a schema is kept and refreshed in the background at its first use after
 * {@code refresh-interval} (lookups meanwhile get the cached one, and a failed refresh keeps it); "no schema"
 * is remembered for {@code missing-retry-interval}; a failure (unreachable upstream, deadline) for at most
 * {@link #FAILURE_RETRY}, so that the next call soon asks again. Concurrent lookups of one service share one
 * fetch.
 *
 * <p><b>Known types.</b> Every message type of the files, of the schemas learnt so far and of the bundled
 * well-known and {@code google.rpc} files, for {@code google.protobuf.Any} and error-details JSON. Files are
 * kept by name, so the set is bounded by the upstreams' schemas, not by traffic.
 *
 * <p><b>Logs.</b> One INFO line per service schema learnt (or changed on refresh), naming its source; one
 * WARN line per failed attempt other than UNIMPLEMENTED or NOT_FOUND, at most one a second per service.
 *
 * <p>Thread-safe. {@link #lookup} never blocks: it answers from memory or completes later on another thread.
 */
public final class SchemaRegistry implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SchemaRegistry.class);

    /** How long a failed reflection attempt is remembered: bounds the calls and WARNs of a dead upstream. */
    static final Duration FAILURE_RETRY = Duration.ofSeconds(1);

    private final Map<String, ServiceDescriptor> fileServices;
    private final Function<String, Optional<Channel>> channels;
    private final boolean reflectionEnabled;
    private final ReflectionClient reflection = new ReflectionClient();
    private final AsyncLoadingCache<String, ServiceLookup> reflected;
    private final SchemaMetrics metrics = new SchemaMetrics();

    private final Object typesLock = new Object();
    /** The files behind {@link #knownTypes}, by file name. Guarded by {@link #typesLock}. */
    private final Map<String, FileDescriptor> typeFiles = new LinkedHashMap<>();
    /**
     * Null until first asked for: the bundled files' descriptors take ~30 ms to build, which need not delay
     * the start (Portico asks for them once it listens).
     */
    private volatile TypeRegistry knownTypes;
    private volatile boolean closed;

    /**
     * Reads and links {@code settings.descriptorSets()}.
     *
     * @param channels gives a channel to the upstream that serves a service (full service name,
     *                 {@code package.Service}), or empty when none does; called off the caller's thread, once
     *                 per reflection fetch
     * @throws SchemaException a descriptor-set file that cannot be read or linked; the message names the file
     */
    public SchemaRegistry(SchemaSettings settings, Function<String, Optional<Channel>> channels)
            throws SchemaException {
        requireNonNull(settings, "settings");
        this.channels = requireNonNull(channels, "channels");
        final DescriptorSetFiles.Contents contents = DescriptorSetFiles.read(settings.descriptorSets());
        this.fileServices = Collections.unmodifiableMap(contents.services());
        this.reflectionEnabled = settings.reflection();
        if (!contents.files().isEmpty()) {
            addKnownTypes(contents.files());
        }
        final Duration missingRetry = settings.missingRetryInterval();
        this.reflected = Caffeine.newBuilder()
                // The cache's upkeep runs on the looking-up thread, a few entries at a time. On its default
                // executor (the common pool) every few calls handed it to another thread: a wake-up and a
                // lock the event loops then waited on, 2-3% of Portico's CPU under load. The loader does not
                // run there (see ReflectionLoader).
                .executor(Runnable::run)
                .maximumSize(settings.maxServices())
                .refreshAfterWrite(settings.refreshInterval())
                .expireAfter(new LookupExpiry(missingRetry,
                                              missingRetry.compareTo(FAILURE_RETRY) < 0 ? missingRetry
                                                                                        : FAILURE_RETRY))
                .buildAsync(new ReflectionLoader());
    }

    /**
     * The schema of {@code fullMethodName}, {@code package.Service/Method} as in
     * {@link io.grpc.MethodDescriptor#getFullMethodName()} (no leading slash).
     *
     * @return completes, never exceptionally and possibly on another thread, with the schema, or empty when
     *         none can be found: a malformed name, a service no file has and no upstream describes, a method
     *         the service does not have, reflection switched off, or a closed registry
     */
    public CompletableFuture<Optional<MethodSchema>> lookup(String fullMethodName) {
        requireNonNull(fullMethodName, "fullMethodName");
        final int slash = fullMethodName.indexOf('/');
        if (slash <= 0 || slash == fullMethodName.length() - 1 || fullMethodName.indexOf('/', slash + 1) >= 0) {
            return CompletableFuture.completedFuture(counted(Optional.empty()));
        }
        final String methodName = fullMethodName.substring(slash + 1);
        return find(fullMethodName.substring(0, slash)).thenApply(found -> {
            if (found instanceof ServiceLookup.Failed) {
                metrics.failed();
                return Optional.empty();
            }
            return counted(found instanceof ServiceLookup.Found f ? method(f.service(), methodName)
                                                                  : Optional.empty());
        });
    }

    /**
     * The schema of the service {@code serviceName} ({@code package.Service}), from the files or reflection,
     * as {@link #lookup} finds it (not counted in the lookup metrics: the API explorer asks this).
     *
     * @return completes, never exceptionally and possibly on another thread, with the service, or empty when
     *         none can be found
     */
    public CompletableFuture<Optional<ServiceDescriptor>> service(String serviceName) {
        requireNonNull(serviceName, "serviceName");
        return find(serviceName).thenApply(found -> found instanceof ServiceLookup.Found f
                                                    ? Optional.of(f.service()) : Optional.empty());
    }

    /** The service from the files, else from reflection (cached); never completes exceptionally. */
    private CompletableFuture<ServiceLookup> find(String serviceName) {
        final ServiceDescriptor fromFile = fileServices.get(serviceName);
        if (fromFile != null) {
            return CompletableFuture.completedFuture(new ServiceLookup.Found(fromFile, "descriptor sets"));
        }
        if (!reflectionEnabled || closed || serviceName.isEmpty()) {
            return CompletableFuture.completedFuture(new ServiceLookup.Missing("no reflection"));
        }
        final CompletableFuture<ServiceLookup> lookup;
        try {
            lookup = reflected.get(serviceName);
        } catch (RuntimeException e) {
            log.warn("schema lookup of service {} failed", serviceName, e);
            return CompletableFuture.completedFuture(new ServiceLookup.Failed("lookup failed", e));
        }
        return lookup.handle((found, error) -> {
            if (error != null) {
                // The loader never completes exceptionally: this is a bug, logged rather than thrown at calls.
                log.warn("schema lookup of service {} failed", serviceName, error);
                return new ServiceLookup.Failed("lookup failed", error);
            }
            return found;
        });
    }

    /** The lookup counters ({@code portico.schema.lookups{result}}), to bind to the registry. */
    public SchemaMetrics metrics() {
        return metrics;
    }

    private Optional<MethodSchema> counted(Optional<MethodSchema> schema) {
        metrics.lookedUp(schema.isPresent());
        return schema;
    }

    /** The full names of the services the descriptor-set files declare, in file order. */
    public Set<String> fileServiceNames() {
        return fileServices.keySet();
    }

    /**
     * Asks the upstream behind {@code channel} which services it serves, with reflection's
     * {@code list_services}. Nothing is cached: the API explorer asks each time its page lists services.
     *
     * @return completes, possibly on another thread, with the full service names, or exceptionally with a
     *         {@link SchemaException} saying why there are none (reflection switched off, no reflection
     *         service, an unreachable upstream)
     */
    public CompletableFuture<List<String>> listServices(Channel channel) {
        requireNonNull(channel, "channel");
        if (!reflectionEnabled) {
            return CompletableFuture.failedFuture(new SchemaException(
                    "reflection is switched off (portico.schema.reflection = false)"));
        }
        if (closed) {
            return CompletableFuture.failedFuture(new SchemaException("Portico is shutting down"));
        }
        return reflection.listServices(channel, ForkJoinPool.commonPool());
    }

    /**
     * Every message type known so far: the descriptor-set files, the schemas learnt by reflection, protobuf's
     * well-known types and the {@code google.rpc} status and error details ({@code ErrorInfo},
     * {@code RetryInfo}, {@code BadRequest}, ...). An immutable snapshot; a later call may know more.
     */
    public TypeRegistry knownTypes() {
        final TypeRegistry types = knownTypes;
        return types != null ? types : addKnownTypes(List.of());
    }

    /** Cancels reflection calls in flight; later lookups answer from the files only. Idempotent. */
    @Override
    public void close() {
        closed = true;
        reflection.close();
        reflected.synchronous().invalidateAll();
    }

    private Optional<MethodSchema> method(ServiceDescriptor service, String methodName) {
        final MethodDescriptor method = service.findMethodByName(methodName);
        return method == null ? Optional.empty() : Optional.of(new MethodSchema(method, knownTypes()));
    }

    /** Asks the upstream; called by the cache on a miss and on refresh. Never completes exceptionally. */
    private CompletableFuture<ServiceLookup> discover(String service, Executor executor,
                                                      ServiceLookup previous) {
        // The channel function and the fetch start on the executor: the looking-up thread may be an event
        // loop, which must not wait for either.
        return CompletableFuture.supplyAsync(() -> channels.apply(service), executor)
                .thenCompose(channel -> channel.isPresent()
                        ? reflection.fetch(channel.get(), service, executor)
                        : CompletableFuture.completedFuture(new ServiceLookup.Missing("no upstream serves it")))
                .exceptionally(e -> {
                    final Throwable cause =
                            e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                    return new ServiceLookup.Failed("finding its upstream failed: " + cause, cause);
                })
                .thenApply(lookup -> learnt(service, lookup, previous));
    }

    /** Logs the outcome, records new types, and picks what the cache keeps. */
    private ServiceLookup learnt(String service, ServiceLookup lookup, ServiceLookup previous) {
        if (lookup instanceof ServiceLookup.Found found) {
            if (previous instanceof ServiceLookup.Found old
                && old.service().getFile().toProto().equals(found.service().getFile().toProto())) {
                log.debug("schema of service {} unchanged ({})", service, found.source());
                return old;  // same schema: no new types, and lookups keep sharing the descriptors they have
            }
            addKnownTypes(List.of(found.service().getFile()));
            log.info("schema of service {} learnt from {}", service, found.source());
            return found;
        }
        if (lookup instanceof ServiceLookup.Failed failed) {
            if (!closed) {
                if (failed.cause() != null) {
                    log.warn("cannot learn the schema of service {}: {}", service, failed.reason(),
                             failed.cause());
                } else {
                    log.warn("cannot learn the schema of service {}: {}", service, failed.reason());
                }
            }
            // A schema that was known stays known when its refresh fails.
            return previous instanceof ServiceLookup.Found ? previous : failed;
        }
        final ServiceLookup.Missing missing = (ServiceLookup.Missing) lookup;
        log.debug("no schema for service {}: {}", service, missing.reason());
        return missing;
    }

    /**
     * Adds {@code files} and their imports to the known types (the bundled files first, the first time),
     * publishes a new snapshot if any is new, and returns the snapshot.
     */
    private TypeRegistry addKnownTypes(Collection<FileDescriptor> files) {
        synchronized (typesLock) {
            boolean changed = knownTypes == null;
            final Deque<FileDescriptor> pending = new ArrayDeque<>();
            if (changed) {
                pending.addAll(BundledDescriptors.all());
            }
            pending.addAll(files);
            while (!pending.isEmpty()) {
                final FileDescriptor file = pending.pop();
                final FileDescriptor known = typeFiles.get(file.getName());
                // The bundled (generated) well-known and google.rpc files are not replaced by upstream copies.
                if (known != file && !(known != null && BundledDescriptors.contains(file.getName()))) {
                    typeFiles.put(file.getName(), file);
                    pending.addAll(file.getDependencies());
                    changed = true;
                }
            }
            if (changed) {
                // TypeRegistry.Builder adds each file's imports too, first file name wins.
                final TypeRegistry.Builder builder = TypeRegistry.newBuilder();
                for (FileDescriptor file : typeFiles.values()) {
                    builder.add(file.getMessageTypes());
                }
                knownTypes = builder.build();
            }
            return knownTypes;
        }
    }

    /**
     * Loads on the common pool, not on the cache's executor (the looking-up thread, maybe an event loop, which
     * must not wait for a channel or a fetch).
     */
    private final class ReflectionLoader implements AsyncCacheLoader<String, ServiceLookup> {
        @Override
        public CompletableFuture<ServiceLookup> asyncLoad(String service, Executor cacheExecutor) {
            return discover(service, ForkJoinPool.commonPool(), null);
        }

        @Override
        public CompletableFuture<ServiceLookup> asyncReload(String service, ServiceLookup previous,
                                                           Executor cacheExecutor) {
            return discover(service, ForkJoinPool.commonPool(), previous);
        }
    }

    /** How long each outcome stays cached; a found schema never expires (refresh replaces it). */
    private static final class LookupExpiry implements Expiry<String, ServiceLookup> {
        private final long missingNanos;
        private final long failedNanos;

        LookupExpiry(Duration missing, Duration failed) {
            this.missingNanos = saturatedNanos(missing);
            this.failedNanos = saturatedNanos(failed);
        }

        private long lifetime(ServiceLookup lookup) {
            if (lookup instanceof ServiceLookup.Found) {
                return Long.MAX_VALUE;
            }
            return lookup instanceof ServiceLookup.Missing ? missingNanos : failedNanos;
        }

        @Override
        public long expireAfterCreate(String service, ServiceLookup lookup, long currentTime) {
            return lifetime(lookup);
        }

        @Override
        public long expireAfterUpdate(String service, ServiceLookup lookup, long currentTime,
                                      long currentDuration) {
            return lifetime(lookup);
        }

        @Override
        public long expireAfterRead(String service, ServiceLookup lookup, long currentTime,
                                    long currentDuration) {
            return currentDuration;
        }

        private static long saturatedNanos(Duration d) {
            try {
                return d.toNanos();
            } catch (ArithmeticException e) {
                return Long.MAX_VALUE;  // over 292 years: forever
            }
        }
    }
}
