package dev.portico.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Server-side TLS for the client-facing listener ({@code portico.tls}). Both files are present or neither
 * is; when present they were readable files at load time. Both files are PEM.
 *
 * @param certChainFile  certificate chain, leaf first
 * @param privateKeyFile PKCS#8 private key for the leaf certificate
 */
public record TlsSettings(Optional<Path> certChainFile, Optional<Path> privateKeyFile) {

    public TlsSettings {
        requireNonNull(certChainFile, "certChainFile");
        requireNonNull(privateKeyFile, "privateKeyFile");
        if (certChainFile.isPresent() != privateKeyFile.isPresent()) {
            throw new IllegalArgumentException(
                    "certChainFile and privateKeyFile must both be set or both be empty");
        }
    }

    /** Plaintext (h2c and HTTP/1.1) when no files are configured. */
    public static TlsSettings disabled() {
        return new TlsSettings(Optional.empty(), Optional.empty());
    }

    /** Whether the listener serves TLS. */
    public boolean enabled() {
        return certChainFile.isPresent();
    }
}
