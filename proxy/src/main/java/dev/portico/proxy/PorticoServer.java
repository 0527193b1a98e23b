package dev.portico.proxy;

import static java.util.Objects.requireNonNull;

import com.sun.management.UnixOperatingSystemMXBean;
import dev.portico.config.ConnectionLimitSettings;
import dev.portico.config.CorsSettings;
import dev.portico.config.PorticoSettings;
import dev.portico.config.WebSocketSettings;
import dev.portico.health.HealthProber;
import dev.portico.health.Readiness;
import dev.portico.proxy.admin.AdminServer;
import dev.portico.proxy.call.ActiveCalls;
import dev.portico.proxy.call.CallObserver;
import dev.portico.proxy.call.MethodDescriptors;
import dev.portico.proxy.call.Http2CallListener;
import dev.portico.proxy.call.ProxyCallHandler;
import dev.portico.proxy.call.RequestRouter;
import dev.portico.proxy.call.ProxyRuntime;
import dev.portico.proxy.cors.CorsHandler;
import dev.portico.proxy.cors.CorsPolicy;
import dev.portico.proxy.cors.CorsResponses;
import dev.portico.proxy.demo.DemoAppServer;
import dev.portico.proxy.demo.DemoRedirectHandler;
import dev.portico.proxy.explorer.ExplorerApi;
import dev.portico.proxy.explorer.ServiceCatalog;
import dev.portico.proxy.health.LocalHealthPool;
import dev.portico.proxy.metrics.BuildInfoMetrics;
import dev.portico.proxy.metrics.ConnectionMetrics;
import dev.portico.proxy.metrics.CorsMetrics;
import dev.portico.proxy.metrics.Http2Metrics;
import dev.portico.proxy.metrics.ProxyMetrics;
import dev.portico.proxy.observe.AccessLog;
import dev.portico.proxy.observe.ExchangeHandler;
import dev.portico.proxy.observe.ObservedStream;
import dev.portico.proxy.observe.Tracing;
import dev.portico.proxy.protocol.ConnectUnaryProtocol;
import dev.portico.proxy.protocol.ProtocolDetector;
import dev.portico.proxy.schema.SchemaException;
import dev.portico.proxy.schema.SchemaRegistry;
import dev.portico.proxy.transport.ConnectionLimiter;
import dev.portico.proxy.transport.FrontendInitializer;
import dev.portico.proxy.transport.HandlerNames;
import dev.portico.proxy.transport.CallExchange;
import dev.portico.proxy.transport.ExchangeListener;
import dev.portico.proxy.transport.RequestPipeline;
import dev.portico.proxy.transport.ResetFloodGuard;
import dev.portico.proxy.transport.ThrottledLog;
import dev.portico.proxy.transport.TimeoutPolicy;
import dev.portico.proxy.transport.WebSocketUpgradeHandler;
import dev.portico.proxy.wire.MediaType;
import dev.portico.proxy.wire.ProtocolException;
import dev.portico.upstream.ClusterHealth;
import dev.portico.upstream.DnsEndpointResolver;
import dev.portico.upstream.EndpointResolver;
import dev.portico.upstream.PickResult;
import dev.portico.upstream.RoutingUpstreamPool;
import dev.portico.upstream.UpstreamLoops;
import dev.portico.upstream.UpstreamMetrics;
import dev.portico.upstream.UpstreamPool;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Portico: the front-end listener, the admin listener and the upstream pool.
 *
 * <p>{@link #close()} drains gracefully: readiness turns 503, connections are told to go away, calls in flight
 * get the grace period, the rest end with UNAVAILABLE; then the event loops and the upstream channels close.
 */
public final class PorticoServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PorticoServer.class);
    /** File descriptors kept free of client connections by {@link #withinFileLimit}. */
    private static final long FILE_DESCRIPTOR_RESERVE = 256;

    private final PorticoSettings settings;
    private final UpstreamPool upstream;
    private final EventLoopGroup group;
    private final Channel listener;
    /** Every open client connection, so that shutdown can close them before the upstream channels. */
    private final ChannelGroup clients;
    private final FrontendInitializer frontend;
    private final AdminServer admin;
    /** The demo app's listener, in demo mode; else null. */
    private final DemoAppServer demoApp;
    private final PrometheusMeterRegistry registry;
    /** Listens to GC notifications until closed. */
    private final JvmGcMetrics gcMetrics;
    private final ActiveCalls calls;
    private final SchemaRegistry schemas;
    private final Readiness readiness;
    /** Null when tracing is off. */
    private final Tracing tracing;
    private final AtomicBoolean closed = new AtomicBoolean();

    private PorticoServer(PorticoSettings settings, UpstreamPool upstream, EventLoopGroup group, Channel listener,
                          ChannelGroup clients, FrontendInitializer frontend, AdminServer admin,
                          DemoAppServer demoApp, PrometheusMeterRegistry registry, JvmGcMetrics gcMetrics,
                          ActiveCalls calls, SchemaRegistry schemas, Readiness readiness, Tracing tracing) {
        this.settings = settings;
        this.upstream = upstream;
        this.group = group;
        this.listener = listener;
        this.clients = clients;
        this.frontend = frontend;
        this.admin = admin;
        this.demoApp = demoApp;
        this.registry = registry;
        this.gcMetrics = gcMetrics;
        this.calls = calls;
        this.schemas = schemas;
        this.readiness = readiness;
        this.tracing = tracing;
    }

    /**
     * Opens the upstream pool the settings describe (clusters, DNS names resolved afresh at every refresh by
     * {@link DnsEndpointResolver}, health checks) and binds the listeners. With {@code demoPage}, the web demo
     * app is served on its own listener ({@code portico.demo.page-port}) and GET / redirects there.
     */
    public static PorticoServer start(PorticoSettings settings, boolean demoPage)
            throws InterruptedException, SSLException, SchemaException {
        return start(settings, DnsEndpointResolver.system(), demoPage);
    }

    /**
     * Like {@link #start(PorticoSettings, boolean)}, with DNS names resolved by {@code resolver}, which the
     * server owns and closes.
     */
    public static PorticoServer start(PorticoSettings settings, EndpointResolver resolver, boolean demoPage)
            throws InterruptedException, SSLException, SchemaException {
        requireNonNull(settings, "settings");
        requireNonNull(resolver, "resolver");
        // epoll when the platform has it (fewer copies and wake-ups than NIO), NIO everywhere else. The
        // upstream connections share these loops: a call stays on one thread from client to upstream and back.
        final boolean epoll = Epoll.isAvailable();
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        final UpstreamLoops loops = new UpstreamLoops(
                group, epoll ? EpollSocketChannel.class : NioSocketChannel.class);
        final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        UpstreamPool pool = null;
        boolean ok = false;
        try {
            pool = RoutingUpstreamPool.start(settings.upstreamPool(), settings.limits(), new HealthProber(),
                                             resolver, loops, registry);
            final PorticoServer server = start(settings, pool, group, epoll, demoPage, registry);
            ok = true;
            return server;
        } finally {
            if (!ok) {
                if (pool != null) {
                    pool.close();
                }
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
                registry.close();
            }
        }
    }

    /**
     * Binds the listeners on {@code group} and serves calls to {@code upstream}; the server then owns both
     * and closes them, and {@code registry}, which it serves on the admin listener. With {@code demoPage},
     * the demo app gets its own listener.
     */
    private static PorticoServer start(PorticoSettings settings, UpstreamPool upstream, EventLoopGroup group,
                                       boolean epoll, boolean demoPage, PrometheusMeterRegistry registry)
            throws InterruptedException, SSLException, SchemaException {
        final ProxyMetrics metrics = new ProxyMetrics(settings.metrics());
        metrics.bindTo(registry);
        final Http2Metrics http2Metrics = new Http2Metrics();
        http2Metrics.bindTo(registry);
        new UpstreamMetrics(upstream).bindTo(registry);
        new BuildInfoMetrics().bindTo(registry);
        final Readiness readiness = new Readiness(upstream);

        final SchemaRegistry schemas = new SchemaRegistry(settings.schema(), service -> {
            // Reflection asks the upstream that serves the service, without taking a call's turn.
            return upstream.pickForLookup(service) instanceof PickResult.Picked picked
                   ? Optional.of(picked.channel()) : Optional.empty();
        });

        final Class<? extends ServerChannel> channelType =
                epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        // Calls to grpc.health.v1.Health are Portico's own to answer; schema lookups above still ask upstream.
        final UpstreamPool calls = settings.health().grpcHealthService()
                ? new LocalHealthPool(upstream, readiness, group) : upstream;
        final ProtocolDetector protocols = new ProtocolDetector(settings.connect(), schemas::knownTypes);
        schemas.metrics().bindTo(registry);
        final ConnectionMetrics connectionMetrics = new ConnectionMetrics(settings.tls().enabled());
        connectionMetrics.bindTo(registry);
        final ProxyRuntime runtime = new ProxyRuntime(
                calls, new MethodDescriptors(10_000), protocols,
                schemas, settings.limits(), settings.deadlines(), settings.connect(), settings.compression(),
                settings.errors(), metrics, new ActiveCalls(settings.limits().maxCallsInFlight()),
                settings.listen().timeouts(), connectionMetrics);
        final ActiveCalls activeCalls = runtime.activeCalls();
        activeCalls.bindTo(registry);
        final CorsMetrics corsMetrics = new CorsMetrics();
        corsMetrics.bindTo(registry);
        final CorsPolicy corsPolicy = new CorsPolicy(settings.cors());
        final CorsResponses cors = new CorsResponses(corsPolicy, corsMetrics);
        final RequestRouter router = new RequestRouter(runtime);
        // Set once the demo app's listener is bound, after this one (the app must know Portico's port).
        final AtomicInteger demoAppPort = new AtomicInteger();
        final AccessLog accessLog = new AccessLog(settings.accessLog());
        final Tracing tracing = settings.tracing().enabled() ? Tracing.start(settings.tracing()) : null;
        if (tracing != null) {
            FunctionCounter.builder("portico.tracing.spans.dropped", tracing, Tracing::droppedSpans)
                    .description("Spans not exported: the export queue (tracing.max-queue-size) was full, or "
                                 + "the collector failed or did not answer")
                    .register(registry);
            FunctionCounter.builder("portico.tracing.spans.exported", tracing, Tracing::exportedSpans)
                    .description("Spans the OTLP collector accepted")
                    .register(registry);
        }
        // Timeouts and limits of client connections, under one name so that they can be tuned together.
        final ThrottledLog connectionLog =
                new ThrottledLog(LoggerFactory.getLogger("dev.portico.proxy.connections"));
        final TimeoutPolicy timeouts = new TimeoutPolicy(
                settings.listen().timeouts(), connectUnary(protocols), connectionMetrics, connectionLog);
        final WebSocketSettings websocket = settings.websocket();
        final CorsPolicy websocketOrigins = new CorsPolicy(new CorsSettings(
                websocket.allowedOrigins(), List.of(), List.of(), false, Duration.ZERO, false));
        final boolean observed = accessLog.enabled() || tracing != null;
        final RequestPipeline requestPipeline = new RequestPipeline() {
            @Override
            public void addTo(ChannelPipeline pipeline) {
                Supplier<CallObserver> observers = () -> CallObserver.NONE;
                if (observed) {
                    final ExchangeHandler exchanges = new ExchangeHandler(accessLog, tracing);
                    pipeline.addLast(HandlerNames.EXCHANGE, exchanges);
                    observers = exchanges;
                }
                if (websocket.enabled()) {
                    pipeline.addLast(HandlerNames.WEBSOCKET_UPGRADE, new WebSocketUpgradeHandler(
                            websocket, websocketOrigins::allows, settings.limits().maxHeaderListBytes(),
                            timeouts));
                }
                pipeline.addLast(HandlerNames.CORS, new CorsHandler(cors));
                if (demoPage) {
                    pipeline.addLast(HandlerNames.DEMO_PAGE, new DemoRedirectHandler(demoAppPort.get()));
                }
                pipeline.addLast(HandlerNames.PROXY_CALL, new ProxyCallHandler(router, observers));
            }

            @Override
            public ExchangeListener open(CallExchange stream) {
                final OptionalInt demoApp = demoPage ? OptionalInt.of(demoAppPort.get()) : OptionalInt.empty();
                if (!observed) {
                    return new Http2CallListener(stream, router, cors, demoApp, () -> CallObserver.NONE);
                }
                return ObservedStream.open(stream, accessLog, tracing, (observedStream, observers) ->
                        new Http2CallListener(observedStream, router, cors, demoApp, observers));
            }
        };
        boolean ok = false;
        // Closed with the server: once bound, it listens to the JVM's GC notifications.
        final JvmGcMetrics gcMetrics = new JvmGcMetrics();
        try {
            final SslContext ssl = settings.tls().enabled() ? ListenerSslContext.build(settings.tls()) : null;
            final FrontendInitializer frontend = new FrontendInitializer(
                    ssl, settings.limits(), settings.flowControl(), requestPipeline,
                    new ResetFloodGuard(settings.limits().resetFlood(), http2Metrics), http2Metrics, timeouts,
                    connectionMetrics);
            final ConnectionLimiter limiter = new ConnectionLimiter(
                    withinFileLimit(settings.listen().connectionLimits()), connectionMetrics, connectionLog);
            final ChannelGroup clients = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);
            final Channel listener = new ServerBootstrap()
                    .group(group)
                    .channel(channelType)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .handler(limiter)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            clients.add(ch);
                            ch.pipeline().addLast(frontend);
                        }
                    })
                    .bind(new InetSocketAddress(settings.listen().host(), settings.listen().port()))
                    .sync()
                    .channel();
            final Optional<ExplorerApi> explorer = settings.admin().explorer().enabled()
                    ? Optional.of(new ExplorerApi(
                            settings.admin().explorer(),
                            new ServiceCatalog(schemas, upstream, settings.upstreamPool().clusters()),
                            schemas, corsPolicy, ssl == null ? "http" : "https",
                            ((InetSocketAddress) listener.localAddress()).getPort()))
                    : Optional.empty();
            final AdminServer admin = settings.admin().enabled()
                    ? AdminServer.start(settings.admin(), registry, readiness, explorer, group, channelType)
                    : null;
            final int porticoPort = ((InetSocketAddress) listener.localAddress()).getPort();
            final DemoAppServer demoApp = demoPage
                    ? DemoAppServer.start(settings.listen().host(), settings.demo().pagePort(),
                                          ssl == null ? "http" : "https", porticoPort, group, channelType)
                    : null;
            if (demoApp != null) {
                demoAppPort.set(demoApp.port());
            }
            final PorticoServer server = new PorticoServer(settings, upstream, group, listener, clients, frontend,
                                                             admin, demoApp, registry, gcMetrics, activeCalls,
                                                             schemas, readiness, tracing);
            final InetSocketAddress bound = (InetSocketAddress) listener.localAddress();
            log.info("Portico listening on {}://{}:{} ({}; transport {}){}", ssl == null ? "http" : "https",
                     bound.getHostString(), bound.getPort(), ssl == null ? "HTTP/1.1, h2c" : "TLS with ALPN h2, http/1.1",
                     epoll ? "epoll" : "nio",
                     admin == null ? "" : ", metrics on http://" + Portico.printableHost(settings.admin().host()) + ':'
                                          + admin.port()
                                          + "/metrics");
            if (admin != null && explorer.isPresent()) {
                log.info("API explorer: http://{}:{}/explorer/", Portico.printableHost(settings.admin().host()),
                         admin.port());
            }
            // What calls do not need to start, done once Portico takes calls (~70 ms of each start). A call
            // that needs the known types before they are built waits for them, once.
            schemas.knownTypes(); // Built now, so that the first call that needs them does not build them.
            try {
                bindProcessMetrics(registry, gcMetrics);
            } catch (RuntimeException e) {
                log.warn("binding the JVM and process meters failed; /metrics goes without them", e);
            }
            ok = true;
            return server;
        } finally {
            if (!ok) {
                schemas.close();
                gcMetrics.close();
                if (tracing != null) {
                    tracing.close();
                }
            }
        }
    }

    /** The JVM's and the process's meters: their JMX beans take ~40 ms to look up. */
    private static void bindProcessMetrics(MeterRegistry registry, JvmGcMetrics gcMetrics) {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        gcMetrics.bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider allocator) {
            new NettyAllocatorMetrics(allocator).bindTo(registry);
        }
    }

    /** Whether a request's body must arrive whole before its call can go on, over HTTP/2: Connect unary. */
    private static Predicate<HttpRequest> connectUnary(ProtocolDetector protocols) {
        return request -> {
            final String contentType = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
            if (!HttpMethod.POST.equals(request.method()) || contentType == null) {
                return false;
            }
            try {
                return protocols.detectPost(MediaType.parse(contentType)).orElse(null)
                        instanceof ConnectUnaryProtocol;
            } catch (ProtocolException e) {
                return false; // Not a media type: the call handler answers 415 at once.
            }
        };
    }

    /**
     * {@code limits}, with max-connections lowered to leave room under the process's file-descriptor limit
     * for the upstream connections, the admin listener and files: with no descriptor left, good clients
     * could not connect at all, and every accept would fail.
     */
    private static ConnectionLimitSettings withinFileLimit(ConnectionLimitSettings limits) {
        if (!(ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix)) {
            return limits;
        }
        final long room = unix.getMaxFileDescriptorCount() - FILE_DESCRIPTOR_RESERVE;
        if (room <= 0 || limits.maxConnections() <= room) {
            return limits;
        }
        log.warn("portico.listen.max-connections = {} is above what the file-descriptor limit ({}) leaves room "
                 + "for; using {}. Raise the limit (ulimit -n, LimitNOFILE) to allow more",
                 limits.maxConnections(), unix.getMaxFileDescriptorCount(), room);
        return new ConnectionLimitSettings((int) room, limits.maxConnectionsPerIp());
    }

    /** The port the front end listens on (useful when configured as 0). */
    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    /** The demo app's port, or -1 when not in demo mode. */
    public int demoAppPort() {
        return demoApp == null ? -1 : demoApp.port();
    }

    /** The admin port, or -1 when the admin listener is disabled. */
    public int adminPort() {
        return admin == null ? -1 : admin.port();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Calls in flight through Portico now. */
    public int activeCalls() {
        return calls.size();
    }

    /** Whether every upstream cluster has a healthy endpoint, as {@code /readyz} answers. */
    public Readiness readiness() {
        return readiness;
    }

    /** Every upstream cluster's endpoints by state, as of the last change. */
    public List<ClusterHealth> upstreamHealth() {
        return upstream.clusters();
    }

    /**
     * Shuts down gracefully, once (later calls return at once): readiness turns 503 (the admin listener
     * stays up to the end), the listener stops accepting, every client connection is drained (HTTP/2: GOAWAY,
     * two-step; HTTP/1.1: {@code Connection: close}, idle ones closed), calls in flight get the grace period
     * to finish, and those still open then end with UNAVAILABLE in their protocol before the connections
     * close. Blocks until done; never call it on an event loop.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // First, so that health watchers (load balancers, probes) stop sending calls while the rest drains.
        readiness.markDraining();
        listener.close().syncUninterruptibly();
        frontend.drain(clients);
        final long graceNanos = settings.listen().shutdownGracePeriod().toNanos();
        if (!awaitNoCalls(graceNanos)) {
            log.warn("shutting down: {} calls still in flight after the grace period of {}; ending them with "
                     + "UNAVAILABLE", calls.size(), settings.listen().shutdownGracePeriod());
            calls.endAll("Portico is shutting down");
            awaitNoCalls(TimeUnit.SECONDS.toNanos(2));
        }
        // A drained connection closes by itself once its last response is written and flushed (Http1Drain,
        // Http2Drain); closing it before would cut the ends just written.
        awaitClientsClosed(TimeUnit.SECONDS.toNanos(2));
        // Closing the client connections cancels whatever is left, so the upstream channels (which run on
        // the event loops, and close before them) have nothing to wait for.
        clients.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        if (admin != null) {
            admin.close();
        }
        if (demoApp != null) {
            demoApp.close();
        }
        schemas.close();
        upstream.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        gcMetrics.close();
        if (tracing != null) {
            tracing.close(); // Exports the last calls' spans.
        }
        registry.close();
    }

    /** Waits up to {@code nanos} for the calls in flight to end; true if they did. */
    private boolean awaitNoCalls(long nanos) {
        return await(() -> calls.size() == 0, nanos);
    }

    /** Waits up to {@code nanos} for the client connections to close. */
    private void awaitClientsClosed(long nanos) {
        await(clients::isEmpty, nanos);
    }

    /** Polls {@code done} until it holds or {@code nanos} passed; returns its last answer. */
    private static boolean await(BooleanSupplier done, long nanos) {
        final long deadline = System.nanoTime() + nanos;
        while (!done.getAsBoolean() && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return done.getAsBoolean();
    }
}
