package dev.portico.proxy.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * {@code portico_build_info{version}}: always 1, with Portico's version as a tag, so that dashboards can
 * show which version runs and join it to other series. The version is written into
 * {@code build.properties} by Maven's resource filtering when Portico is built.
 */
public final class BuildInfoMetrics implements MeterBinder {
    private static final String RESOURCE = "build.properties";

    @Override
    public void bindTo(MeterRegistry registry) {
        Gauge.builder("portico.build.info", () -> 1)
             .description("Always 1; the version tag names the Portico build that runs")
             .tag("version", version())
             .register(registry);
    }

    /** Portico's version, as Maven built it. */
    public static String version() {
        try (InputStream in = BuildInfoMetrics.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing next to " + BuildInfoMetrics.class
                                                + ": Portico was not built by Maven");
            }
            final Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + RESOURCE + " failed", e);
        }
    }
}
