package dev.portico.proxy.metrics;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bounds the {@code method} metric tag: the first {@code maxMethods} distinct methods keep their name and
 * every later one is reported as {@code "other"}, so clients inventing method names cannot create an
 * unbounded number of time series. Thread-safe.
 */
public final class MethodTagger {
    static final String OVERFLOW = "other";

    private final int maxMethods;
    private final Set<String> known = ConcurrentHashMap.newKeySet();

    public MethodTagger(int maxMethods) {
        this.maxMethods = maxMethods;
    }

    public String tag(String fullMethodName) {
        if (known.contains(fullMethodName)) {
            return fullMethodName;
        }
        // The size check races with other adders; the bound may be passed by a few, which is harmless.
        if (known.size() < maxMethods) {
            known.add(fullMethodName);
            return fullMethodName;
        }
        return OVERFLOW;
    }
}
