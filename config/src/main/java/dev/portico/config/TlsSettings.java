package dev.portico.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Server-side TLS for the client-facing listener ({@code portico.tls}). Both files are present or neither
 * is; when present they were read, parsed and checked at load time into {@code keyMaterial}.
 *
 * @param certChainFile  PEM certificate chain, leaf first
 * @param privateKeyFile PEM private key for the leaf certificate (PKCS#8, encrypted PKCS#8, PKCS#1 or SEC1)
 * @param keyMaterial    the key and chain those files hold; present exactly when the files are
 * @param provider       the TLS implementation to use
 */
public record TlsSettings(Optional<Path> certChainFile, Optional<Path> privateKeyFile,
                          Optional<TlsKeyMaterial> keyMaterial, TlsProvider provider) {

    public TlsSettings {
        requireNonNull(certChainFile, "certChainFile");
        requireNonNull(privateKeyFile, "privateKeyFile");
        requireNonNull(keyMaterial, "keyMaterial");
        requireNonNull(provider, "provider");
        if (certChainFile.isPresent() != privateKeyFile.isPresent()
            || certChainFile.isPresent() != keyMaterial.isPresent()) {
            throw new IllegalArgumentException(
                    "certChainFile, privateKeyFile and keyMaterial must all be set or all be empty");
        }
    }

    /** Plaintext (h2c and HTTP/1.1) when no files are configured. */
    public static TlsSettings disabled() {
        return new TlsSettings(Optional.empty(), Optional.empty(), Optional.empty(), TlsProvider.AUTO);
    }

    /** Whether the listener serves TLS. */
    public boolean enabled() {
        return certChainFile.isPresent();
    }
}
