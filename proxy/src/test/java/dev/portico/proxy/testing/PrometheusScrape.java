package dev.portico.proxy.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * One scrape of Portico's admin {@code /metrics}, fetched with the JDK's HTTP client and parsed from the
 * Prometheus text format (comments skipped, label values unescaped), independently of Micrometer.
 */
public final class PrometheusScrape {
    /**
     * Shared by every scrape in the JVM: Java 17's client has no {@code close()}, and its selector thread is a
     * daemon that ends when the client is collected, so one client for all tests keeps what lingers to one.
     */
    private static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    /** One line of the exposition: a metric name, its labels and its value. */
    public record Sample(String name, Map<String, String> labels, double value) {
        /** Whether every given label is present with the given value (others may be present too). */
        public boolean has(Map<String, String> wanted) {
            return labels.entrySet().containsAll(wanted.entrySet());
        }
    }

    private final String text;
    private final List<Sample> samples;

    private PrometheusScrape(String text, List<Sample> samples) {
        this.text = text;
        this.samples = samples;
    }

    /** GET http://127.0.0.1:{adminPort}/metrics; fails unless the answer is 200. */
    public static PrometheusScrape fetch(int adminPort) throws IOException, InterruptedException {
        final URI uri = URI.create("http://127.0.0.1:" + adminPort + "/metrics");
        final HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(5))
                .GET()
                .build();
        final HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new AssertionError("GET /metrics answered " + response.statusCode() + ": " + response.body());
        }
        return parse(response.body());
    }

    /** Scrapes every 50 ms until {@code done} holds or {@code within} passed; the last scrape. */
    public static PrometheusScrape await(int adminPort, Predicate<PrometheusScrape> done, Duration within)
            throws IOException, InterruptedException {
        final long deadline = System.nanoTime() + within.toNanos();
        PrometheusScrape metrics = fetch(adminPort);
        while (!done.test(metrics) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            metrics = fetch(adminPort);
        }
        return metrics;
    }

    public static PrometheusScrape parse(String text) {
        final List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (!line.isBlank() && !line.startsWith("#")) {
                samples.add(parseLine(line.strip()));
            }
        }
        return new PrometheusScrape(text, List.copyOf(samples));
    }

    /** The whole exposition, for assertion messages. */
    public String text() {
        return text;
    }

    /** Every sample of the scrape. */
    public List<Sample> samples() {
        return samples;
    }

    public List<Sample> samples(String name) {
        return samples.stream().filter(s -> s.name().equals(name)).toList();
    }

    /** The value of the one sample of {@code name} with these labels, or empty when there is none. */
    public OptionalDouble value(String name, Map<String, String> labels) {
        final List<Sample> matching = samples(name).stream().filter(s -> s.has(labels)).toList();
        if (matching.size() > 1) {
            throw new AssertionError("several samples of " + name + " match " + labels + ": " + matching);
        }
        return matching.isEmpty() ? OptionalDouble.empty() : OptionalDouble.of(matching.get(0).value());
    }

    /** The sum over every sample of {@code name}: 0 when there is none. */
    public double sum(String name) {
        return samples(name).stream().mapToDouble(Sample::value).sum();
    }

    /**
     * The buckets of histogram {@code name} (without {@code _bucket}) for one series ({@code labels}, matched
     * exactly but for {@code le}): upper bound to cumulative count, {@code +Inf} last, in order.
     */
    public SortedMap<Double, Double> buckets(String name, Map<String, String> labels) {
        final SortedMap<Double, Double> buckets = new TreeMap<>();
        for (Sample sample : samples(name + "_bucket")) {
            final Map<String, String> rest = new HashMap<>(sample.labels());
            final String le = rest.remove("le");
            if (le != null && rest.equals(labels)) {
                final double bound = le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
                buckets.put(bound, sample.value());
            }
        }
        return buckets;
    }

    /** The names of the samples, each once, in order. */
    public Set<String> names() {
        return samples.stream().map(Sample::name).collect(Collectors.toCollection(TreeSet::new));
    }

    /** How many samples (series) have a name that starts with {@code prefix}. */
    public long countStartingWith(String prefix) {
        return samples.stream().filter(s -> s.name().startsWith(prefix)).count();
    }

    private static Sample parseLine(String line) {
        final int brace = line.indexOf('{');
        final int space = line.indexOf(' ');
        final Map<String, String> labels = new LinkedHashMap<>();
        final String name;
        int rest;
        if (brace >= 0 && (space < 0 || brace < space)) {
            name = line.substring(0, brace);
            rest = parseLabels(line, brace + 1, labels);
        } else {
            name = line.substring(0, space);
            rest = space;
        }
        // After the name and labels: the value, then an optional timestamp.
        final String[] valueAndTimestamp = line.substring(rest).strip().split("\\s+");
        return new Sample(name, Map.copyOf(labels), Double.parseDouble(valueAndTimestamp[0]));
    }

    /** Parses {@code a="x",b="y"} up to the closing brace; returns the index after it. */
    private static int parseLabels(String line, int from, Map<String, String> labels) {
        int i = from;
        while (true) {
            while (line.charAt(i) == ',' || line.charAt(i) == ' ') {
                i++;
            }
            if (line.charAt(i) == '}') {
                return i + 1;
            }
            final int equals = line.indexOf('=', i);
            final String label = line.substring(i, equals).strip();
            i = equals + 1;
            if (line.charAt(i) != '"') {
                throw new IllegalArgumentException("unquoted label value in: " + line);
            }
            i++;
            final StringBuilder value = new StringBuilder();
            while (line.charAt(i) != '"') {
                char c = line.charAt(i);
                if (c == '\\') {
                    i++;
                    c = line.charAt(i) == 'n' ? '\n' : line.charAt(i);
                }
                value.append(c);
                i++;
            }
            labels.put(label, value.toString());
            i++;
        }
    }
}
