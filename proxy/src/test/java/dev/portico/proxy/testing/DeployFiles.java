package dev.portico.proxy.testing;

import dev.portico.config.InvalidConfigException;
import dev.portico.config.PorticoConfig;
import dev.portico.config.PorticoSettings;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The repository's deployment files (Dockerfile, docker-compose.yml, deploy/), read as their tools read them:
 * YAML with SnakeYAML (merge keys, anchors), Portico's HOCON with Portico's own loader. Paths are relative to
 * the repository root; tests run in {@code proxy/}.
 */
public final class DeployFiles {
    /** The repository root. */
    public static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    private DeployFiles() {}

    public static Path path(String relative) {
        return ROOT.resolve(relative);
    }

    public static String text(String relative) throws IOException {
        return Files.readString(path(relative), StandardCharsets.UTF_8);
    }

    /** The one YAML document of {@code relative}, as maps, lists and scalars. */
    public static Map<String, Object> yaml(String relative) throws IOException {
        final List<Map<String, Object>> documents = yamlDocuments(relative);
        if (documents.size() != 1) {
            throw new AssertionError(relative + " holds " + documents.size() + " YAML documents, expected 1");
        }
        return documents.get(0);
    }

    /** Every YAML document of {@code relative} (Kubernetes files may hold several, split by ---). */
    public static List<Map<String, Object>> yamlDocuments(String relative) throws IOException {
        final List<Map<String, Object>> documents = new ArrayList<>();
        try (Reader reader = Files.newBufferedReader(path(relative), StandardCharsets.UTF_8)) {
            for (Object document : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(reader)) {
                if (document != null) {
                    documents.add(map(document));
                }
            }
        }
        return documents;
    }

    /**
     * {@code relative} loaded by Portico's configuration loader, with no environment variables or system
     * properties on top: what Portico runs with when given {@code --config} that file.
     */
    public static PorticoSettings porticoConfig(String relative) throws InvalidConfigException {
        return PorticoConfig.load(Optional.of(path(relative)), Map.of(), new Properties());
    }

    /** {@code node} as a YAML mapping; fails naming what it is otherwise. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> map(Object node) {
        if (!(node instanceof Map)) {
            throw new AssertionError("expected a YAML mapping, got " + node);
        }
        return (Map<String, Object>) node;
    }

    /** {@code node} as a YAML sequence; fails naming what it is otherwise. */
    @SuppressWarnings("unchecked")
    public static List<Object> list(Object node) {
        if (!(node instanceof List)) {
            throw new AssertionError("expected a YAML sequence, got " + node);
        }
        return (List<Object>) node;
    }

    /** The node at {@code keys} under {@code node}, through mappings; fails naming the first key missing. */
    public static Object at(Object node, String... keys) {
        Object current = node;
        for (String key : keys) {
            final Map<String, Object> mapping = map(current);
            if (!mapping.containsKey(key)) {
                throw new AssertionError("no key " + key + " in " + mapping.keySet());
            }
            current = mapping.get(key);
        }
        return current;
    }

    /** The mapping at {@code keys} under {@code node}. */
    public static Map<String, Object> mapAt(Object node, String... keys) {
        return map(at(node, keys));
    }

    /** The sequence at {@code keys} under {@code node}. */
    public static List<Object> listAt(Object node, String... keys) {
        return list(at(node, keys));
    }
}
