package dev.portico.proxy.testing;

import java.util.ArrayList;
import java.util.List;

/** What a test opened (backends, Porticos), closed last first when the test ends. */
public final class Resources implements AutoCloseable {
    private final List<AutoCloseable> open = new ArrayList<>();

    /** Closes {@code resource} with the others; returns it. */
    public <T extends AutoCloseable> T keep(T resource) {
        open.add(resource);
        return resource;
    }

    @Override
    public void close() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        open.clear();
    }
}
