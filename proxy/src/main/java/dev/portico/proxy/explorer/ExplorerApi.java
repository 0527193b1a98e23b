package dev.portico.proxy.explorer;

import static java.util.Objects.requireNonNull;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.protobuf.Descriptors.MethodDescriptor;
import dev.portico.config.ExplorerSettings;
import dev.portico.proxy.cors.CorsPolicy;
import dev.portico.proxy.schema.SchemaRegistry;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The API explorer on the admin listener: its page ({@code /explorer/}, plain HTML, JavaScript and CSS from
 * the jar's {@code explorer/} resources) and the JSON the page reads.
 *
 * <ul>
 *   <li>{@code GET /explorer/api/services?origin=<the page's origin>}: every service with its methods
 *       ({@link ServiceCatalog}), the problems met while listing them, where the page sends its calls
 *       ({@code front}: the configured URL, else the listener's scheme and port), and whether Portico's CORS
 *       policy allows the page's origin to call it ({@code cors.allowed}).
 *   <li>{@code GET /explorer/api/method?name=<package.Service/Method>}: one method with its request template
 *       and the types of its request and response ({@link SchemaJson}).
 * </ul>
 *
 * <p>The page calls the upstream itself, from the browser, through Portico's listener (Connect JSON), so
 * every call is an ordinary cross-origin call that Portico's CORS policy must allow; the admin listener never
 * forwards calls.
 *
 * <p>Thread-safe. {@link #answer} never blocks: it answers from memory (the page's files, descriptor-set
 * schemas) or completes later, on another thread, once the upstreams have answered.
 */
public final class ExplorerApi {
    /** The root of the explorer's paths on the admin listener. */
    public static final String ROOT = "/explorer";

    private final ExplorerSettings settings;
    private final ServiceCatalog catalog;
    private final SchemaRegistry registry;
    private final CorsPolicy cors;
    private final String frontScheme;
    private final int frontPort;
    /** Path below {@link #ROOT} → the file's answer, read once from the jar. */
    private final Map<String, ExplorerAnswer> assets;

    /**
     * @param frontScheme {@code http} or {@code https}: Portico's listener
     * @param frontPort   the port Portico's listener is bound to
     */
    public ExplorerApi(ExplorerSettings settings, ServiceCatalog catalog, SchemaRegistry registry,
                       CorsPolicy cors, String frontScheme, int frontPort) {
        this.settings = requireNonNull(settings, "settings");
        this.catalog = requireNonNull(catalog, "catalog");
        this.registry = requireNonNull(registry, "registry");
        this.cors = requireNonNull(cors, "cors");
        this.frontScheme = requireNonNull(frontScheme, "frontScheme");
        this.frontPort = frontPort;
        final ExplorerAnswer page = asset("index.html", "text/html; charset=utf-8");
        this.assets = Map.of("/", page, "/index.html", page,
                             "/explorer.js", asset("explorer.js", "text/javascript; charset=utf-8"),
                             "/explorer.css", asset("explorer.css", "text/css; charset=utf-8"));
    }

    private static ExplorerAnswer asset(String file, String contentType) {
        try (InputStream in = ExplorerApi.class.getResourceAsStream("/explorer/" + file)) {
            if (in == null) {
                throw new IllegalStateException("explorer/" + file + " is missing from the jar");
            }
            return new ExplorerAnswer(HttpResponseStatus.OK, contentType, in.readAllBytes(), Optional.empty());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether {@code path} (without query) is the explorer's to answer. */
    public static boolean owns(String path) {
        return path.equals(ROOT) || path.startsWith(ROOT + "/");
    }

    /**
     * Answers a GET of {@code uri}, whose path {@link #owns}.
     *
     * @return completes, never exceptionally, possibly on another thread
     */
    public CompletableFuture<ExplorerAnswer> answer(String uri) {
        final QueryStringDecoder decoder = new QueryStringDecoder(uri);
        final String path = decoder.path().substring(ROOT.length());
        if (path.isEmpty()) {
            // The page's relative links (explorer.js, api/...) need the trailing slash.
            return CompletableFuture.completedFuture(ExplorerAnswer.redirect(ROOT + "/"));
        }
        final ExplorerAnswer asset = assets.get(path);
        if (asset != null) {
            return CompletableFuture.completedFuture(asset);
        }
        return switch (path) {
            case "/api/services" -> services(parameter(decoder, "origin"));
            case "/api/method" -> method(parameter(decoder, "name"));
            default -> CompletableFuture.completedFuture(ExplorerAnswer.error(
                    HttpResponseStatus.NOT_FOUND, "no such explorer path: " + decoder.path()));
        };
    }

    private static Optional<String> parameter(QueryStringDecoder decoder, String name) {
        final List<String> values = decoder.parameters().get(name);
        return values == null || values.isEmpty() || values.get(0).isEmpty() ? Optional.empty()
                                                                            : Optional.of(values.get(0));
    }

    private CompletableFuture<ExplorerAnswer> services(Optional<String> origin) {
        return catalog.list().thenApply(listing -> {
            final JsonObject json = new JsonObject();
            final JsonArray services = new JsonArray();
            for (ServiceCatalog.Service service : listing.services()) {
                final JsonObject entry = new JsonObject();
                entry.addProperty("name", service.descriptor().getFullName());
                entry.addProperty("cluster", service.cluster().orElse(null));
                entry.addProperty("source", service.source());
                final JsonArray methods = new JsonArray();
                for (MethodDescriptor method : service.descriptor().getMethods()) {
                    methods.add(SchemaJson.summary(method));
                }
                entry.add("methods", methods);
                services.add(entry);
            }
            json.add("services", services);
            final JsonArray problems = new JsonArray();
            listing.problems().forEach(problems::add);
            json.add("problems", problems);
            final JsonObject front = new JsonObject();
            front.addProperty("url", settings.frontUrl().orElse(null));
            front.addProperty("scheme", frontScheme);
            front.addProperty("port", frontPort);
            json.add("front", front);
            origin.ifPresent(o -> {
                final JsonObject grant = new JsonObject();
                grant.addProperty("origin", o);
                grant.addProperty("allowed", cors.allows(o));
                json.add("cors", grant);
            });
            return ExplorerAnswer.json(HttpResponseStatus.OK, json);
        });
    }

    private CompletableFuture<ExplorerAnswer> method(Optional<String> name) {
        if (name.isEmpty()) {
            return CompletableFuture.completedFuture(ExplorerAnswer.error(
                    HttpResponseStatus.BAD_REQUEST, "name=package.Service/Method is missing"));
        }
        return registry.lookup(name.get()).thenApply(schema -> schema
                .map(found -> ExplorerAnswer.json(HttpResponseStatus.OK, SchemaJson.method(found)))
                .orElseGet(() -> ExplorerAnswer.error(HttpResponseStatus.NOT_FOUND,
                        "no schema for " + name.get() + ": no descriptor set has it and the upstream's "
                        + "reflection does not describe it")));
    }
}
