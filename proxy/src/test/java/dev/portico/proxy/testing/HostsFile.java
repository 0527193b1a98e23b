package dev.portico.proxy.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** A hosts file for {@code DnsEndpointResolver.withHostsFile}, rewritten by a test as its records change. */
public final class HostsFile {
    private HostsFile() {}

    /** Maps {@code name} to {@code addresses} in {@code hosts}, in one step: no lookup reads half of it. */
    public static void write(Path hosts, String name, String... addresses) throws IOException {
        final StringBuilder text = new StringBuilder("127.0.0.1 localhost\n");
        for (String address : addresses) {
            text.append(address).append(' ').append(name).append('\n');
        }
        final Path next = Files.createTempFile(hosts.getParent(), "hosts", ".tmp");
        Files.writeString(next, text, StandardCharsets.US_ASCII);
        Files.move(next, hosts, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
