package dev.portico.proxy;

import dev.portico.config.HostAndPort;
import dev.portico.config.InvalidConfigException;
import dev.portico.config.PorticoConfig;
import dev.portico.config.PorticoSettings;
import dev.portico.config.UpstreamSettings;
import dev.portico.proxy.demo.DemoBackend;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * The command line: {@code java -jar portico.jar [--config portico.conf] [--demo]}.
 *
 * <p>With no upstream endpoint configured, or with {@code --demo}, Portico starts the demo gRPC service on
 * loopback, proxies to it, serves the web demo page at {@code /}, and turns the API explorer on.
 */
public final class Portico {
    private static final Logger log = LoggerFactory.getLogger(Portico.class);

    private Portico() {}

    public static void main(String[] args) throws Exception {
        Optional<Path> configFile = Optional.empty();
        boolean demo = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--config" -> {
                    if (i + 1 == args.length) {
                        exit("--config needs a file path");
                    }
                    configFile = Optional.of(Path.of(args[++i]));
                }
                case "--demo" -> demo = true;
                case "--help", "-h" -> {
                    System.out.println("usage: java -jar portico.jar [--config portico.conf] [--demo]");
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
        final PorticoServer server = PorticoServer.start(settings, backend != null);
        if (backend != null) {
            log.info("demo page: http://127.0.0.1:{}/", server.port());
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
        // SIGTERM (docker stop, Kubernetes) and SIGINT are the normal way to stop Portico: drain, then exit 0
        // rather than the JVM's 128+signal, so that an orchestrator sees a clean stop. Other exits still run
        // the hook.
        for (String signal : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(signal), s -> {
                log.info("SIG{}: draining", signal);
                stop.run();
                System.exit(0);
            });
        }
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "portico-shutdown"));
    }

    /** {@code settings} in demo mode: every call to {@code endpoint}, and the API explorer on. */
    private static PorticoSettings demoMode(PorticoSettings settings, HostAndPort endpoint) {
        final UpstreamSettings upstream = settings.upstream();
        return new PorticoSettings(settings.listen(), settings.tls(),
                                   new UpstreamSettings(List.of(endpoint), true, upstream.connectTimeout(),
                                                        upstream.keepAliveTime()),
                                   settings.cors(), settings.limits(), settings.deadlines(),
                                   settings.flowControl(), settings.admin().withExplorerEnabled(),
                                   settings.schema(),
                                   settings.connect(), settings.compression(),
                                   settings.upstreamPool().demo(endpoint), settings.health(),
                                   settings.errors());
    }

    private static void exit(String message) {
        System.err.println("portico: " + message);
        System.exit(2);
    }
}
