package dev.portico.proxy;

import dev.portico.config.CorsSettings;
import dev.portico.config.HostAndPort;
import dev.portico.config.InvalidConfigException;
import dev.portico.config.PorticoConfig;
import dev.portico.config.PorticoSettings;
import dev.portico.config.UpstreamSettings;
import dev.portico.config.WebSocketSettings;
import dev.portico.proxy.demo.DemoBackend;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;
import sun.misc.Signal;

/**
 * The command line: {@code java -jar portico.jar [--config portico.conf] [--demo] [--demo-page]}, or
 * {@code java -jar portico.jar demo-backend [--host H] [--port P]}.
 *
 * <p>With no upstream endpoint configured, or with {@code --demo}, Portico starts the demo gRPC service on
 * loopback, proxies to it, serves the web demo app on a port of its own ({@code portico.demo.page-port}),
 * and turns the API explorer on.
 * {@code --demo-page} serves the app in front of the configured upstream, which must then serve the demo
 * service (the Docker Compose stack; the app's origin must be among {@code cors.allowed-origins}, as with the
 * default "*"). {@code demo-backend} runs only the demo gRPC service (with {@code grpc.health.v1} and
 * reflection), the upstream of the Compose stack.
 */
public final class Portico {
    static {
        // SLF4J is told its provider instead of searching the class path for one with a ServiceLoader (28 ms
        // of each start), before the first logger, which is the next line; without the INFO line it then
        // prints about the property. Its warnings and errors still print.
        defaultProperty("slf4j.provider", "ch.qos.logback.classic.spi.LogbackServiceProvider");
        defaultProperty("slf4j.internal.verbosity", "WARN");
    }

    private static final Logger log = LoggerFactory.getLogger(Portico.class);
    private static final String USAGE = """
            usage: java -jar portico.jar [--config portico.conf] [--demo] [--demo-page]
                   java -jar portico.jar demo-backend [--host 127.0.0.1] [--port 50051]""";

    private Portico() {}

    /**
     * Netty's leak detector tracks one buffer in 128 by default and records a stack trace when it takes
     * one and when it is released: 2.5% of Portico's CPU under load. One in 4096 still reports a leak that
     * happens on every call within seconds of traffic; the tests run with every buffer tracked (paranoid).
     * {@code -Dio.netty.leakDetection.samplingInterval} (or {@code .level}) on the command line wins.
     */
    static final String LEAK_SAMPLING_INTERVAL = "4096";

    /** Sets system property {@code name} to {@code value} unless the command line set it. */
    private static void defaultProperty(String name, String value) {
        if (System.getProperty(name) == null) {
            System.setProperty(name, value);
        }
    }

    public static void main(String[] args) throws Exception {
        // Before any Netty class reads them.
        defaultProperty("io.netty.leakDetection.samplingInterval", LEAK_SAMPLING_INTERVAL);
        // Netty registers its buffer allocator's JFR events with the flight recorder when its first chunk is
        // made, on the first connection: 30 ms and 50 JDK classes of every start, for a recording nobody
        // runs. -Dio.netty.jfr.enabled=true brings them back for one.
        defaultProperty("io.netty.jfr.enabled", "false");
        // grpc-java and the OpenTelemetry SDK log through java.util.logging: route it to the same log.
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        if (args.length > 0 && "demo-backend".equals(args[0])) {
            demoBackend(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        Optional<Path> configFile = Optional.empty();
        boolean demo = false;
        boolean demoPage = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--config" -> {
                    configFile = Optional.of(Path.of(value(args, i)));
                    i++;
                }
                case "--demo" -> demo = true;
                case "--demo-page" -> demoPage = true;
                case "--help", "-h" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> exit("unknown argument " + args[i] + " (try --help)");
            }
        }
        PorticoSettings settings = null;
        try {
            settings = PorticoConfig.load(configFile);
        } catch (InvalidConfigException e) {
            exit("invalid configuration: " + e.getMessage());
        }
        DemoBackend backend = null;
        if (demo || settings.upstreamPool().isEmpty()) {
            backend = DemoBackend.start(0);
            log.info("demo mode: the demo gRPC service runs on 127.0.0.1:{}", backend.port());
            settings = demoMode(settings, new HostAndPort("127.0.0.1", backend.port()));
        }
        final PorticoServer server = PorticoServer.start(settings, backend != null || demoPage);
        if (backend != null || demoPage) {
            // Both addresses: the app's calls to Portico are cross-origin (the browser's devtools show the
            // preflights), which is what the demo is for.
            final String host = printableHost(settings.listen().host());
            log.info("demo app: http://{}:{}/ (open it in a browser; it calls Portico at {}://{}:{})", host,
                     server.demoAppPort(), settings.tls().enabled() ? "https" : "http", host, server.port());
        }
        final DemoBackend demoBackend = backend;
        final AtomicBoolean stopped = new AtomicBoolean();
        final Runnable stop = () -> {
            if (!stopped.compareAndSet(false, true)) {
                return;
            }
            server.close();
            if (demoBackend != null) {
                try {
                    demoBackend.close();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        stopOnSignal(stop);
    }

    /**
     * {@code demo-backend [--host H] [--port P]}: the demo gRPC service alone, until SIGTERM, when its health
     * turns NOT_SERVING and calls in flight get up to 5 s to finish.
     */
    private static void demoBackend(String[] args) throws Exception {
        String host = "127.0.0.1";
        int port = 50051;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--host" -> {
                    host = value(args, i);
                    i++;
                }
                case "--port" -> {
                    port = port(value(args, i));
                    i++;
                }
                case "--help", "-h" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> exit("unknown demo-backend argument " + args[i] + " (try --help)");
            }
        }
        final DemoBackend backend = DemoBackend.start(host, port);
        log.info("demo backend listening on {}:{} (portico.demo.v1.DemoService, grpc.health.v1, reflection)",
                 host, backend.port());
        final AtomicBoolean stopped = new AtomicBoolean();
        stopOnSignal(() -> {
            if (!stopped.compareAndSet(false, true)) {
                return;
            }
            try {
                backend.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        backend.awaitTermination();
    }

    /**
     * SIGTERM (docker stop, Kubernetes) and SIGINT are the normal way to stop: run {@code stop}, then exit 0
     * rather than the JVM's 128+signal, so that an orchestrator sees a clean stop. Other exits still run it,
     * as a shutdown hook; {@code stop} must tolerate a second call.
     */
    private static void stopOnSignal(Runnable stop) {
        for (String signal : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(signal), s -> {
                log.info("SIG{}: draining", signal);
                stop.run();
                System.exit(0);
            });
        }
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "portico-shutdown"));
    }

    /** The value after the option at {@code i}, or exit 2 naming the option. */
    private static String value(String[] args, int i) {
        if (i + 1 == args.length) {
            exit(args[i] + " needs a value");
        }
        return args[i + 1];
    }

    private static int port(String value) {
        // Strict digits, as the configuration reads ports: "+80" or " 80" are errors.
        if (!value.matches("[0-9]{1,5}") || Integer.parseInt(value) > 65535) {
            exit("--port must be a number between 0 and 65535, got " + value);
        }
        return Integer.parseInt(value);
    }

    /** {@code settings} in demo mode: every call to {@code endpoint}, and the API explorer on. */
    private static PorticoSettings demoMode(PorticoSettings settings, HostAndPort endpoint) {
        final UpstreamSettings upstream = settings.upstream();
        return new PorticoSettings(settings.listen(), settings.tls(),
                                   new UpstreamSettings(List.of(endpoint), true, upstream.connectTimeout(),
                                                        upstream.keepAliveTime()),
                                   withDemoOrigins(settings.cors(), settings), settings.limits(),
                                   settings.deadlines(),
                                   settings.flowControl(), settings.admin().withExplorerEnabled(),
                                   settings.schema(),
                                   settings.connect(), settings.compression(),
                                   settings.upstreamPool().demo(endpoint), settings.health(),
                                   settings.errors(), settings.demo(), settings.metrics(),
                                   settings.accessLog(), settings.tracing(),
                                   withDemoOrigins(settings.websocket(), settings));
    }

    /**
     * The origins of the demo app's page and the admin listener's API explorer (on loopback, as the demo runs):
     * added to {@code origins} unless they allow every origin already (the default, "*").
     */
    private static List<String> withDemoOrigins(List<String> origins, PorticoSettings settings) {
        if (origins.contains("*")) {
            return origins;
        }
        final List<String> more = new ArrayList<>(origins);
        for (int port : new int[] {settings.demo().pagePort(), settings.admin().port()}) {
            if (port != 0) {
                more.add("http://localhost:" + port);
                more.add("http://127.0.0.1:" + port);
            }
        }
        return more;
    }

    private static CorsSettings withDemoOrigins(CorsSettings cors, PorticoSettings settings) {
        return new CorsSettings(withDemoOrigins(cors.allowedOrigins(), settings), cors.allowedHeaders(),
                                cors.exposedHeaders(), cors.allowCredentials(), cors.maxAge(),
                                cors.allowPrivateNetwork());
    }

    private static WebSocketSettings withDemoOrigins(WebSocketSettings websocket, PorticoSettings settings) {
        return new WebSocketSettings(websocket.enabled(), websocket.maxFrameBytes(),
                                     withDemoOrigins(websocket.allowedOrigins(), settings),
                                     websocket.closeTimeout());
    }

    /** A host to put in a URL to print: loopback for a wildcard address. */
    static String printableHost(String listenHost) {
        return switch (listenHost) {
            case "0.0.0.0", "::", "[::]" -> "127.0.0.1";
            default -> listenHost.contains(":") && !listenHost.startsWith("[")
                        ? '[' + listenHost + ']' : listenHost;
        };
    }

    private static void exit(String message) {
        System.err.println("portico: " + message);
        System.exit(2);
    }
}
