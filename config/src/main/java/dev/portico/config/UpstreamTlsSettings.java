package dev.portico.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Optional;

/**
 * TLS from Portico to an upstream cluster ({@code portico.upstream.tls}), used when {@code plaintext} is
 * false. Every file was read and parsed at load time; all are PEM.
 *
 * @param trustCertCollectionFile CA certificates that upstream certificates must chain to; empty means the
 *                                JVM's default trust store
 * @param certChainFile           Portico's client certificate chain for mutual TLS; set with
 *                                {@code privateKeyFile} or not at all
 * @param privateKeyFile          key of the client certificate (PKCS#8, encrypted PKCS#8, PKCS#1 or SEC1)
 * @param authority               the name upstream certificates are checked against (and sent as SNI and
 *                                {@code :authority}) instead of the endpoint's own host name
 * @param clientKeyMaterial       the client key and chain those files hold; present exactly when they are
 */
public record UpstreamTlsSettings(Optional<Path> trustCertCollectionFile, Optional<Path> certChainFile,
                                  Optional<Path> privateKeyFile, Optional<String> authority,
                                  Optional<TlsKeyMaterial> clientKeyMaterial) {

    public UpstreamTlsSettings {
        requireNonNull(trustCertCollectionFile, "trustCertCollectionFile");
        requireNonNull(certChainFile, "certChainFile");
        requireNonNull(privateKeyFile, "privateKeyFile");
        requireNonNull(authority, "authority");
        requireNonNull(clientKeyMaterial, "clientKeyMaterial");
        if (certChainFile.isPresent() != privateKeyFile.isPresent()
            || certChainFile.isPresent() != clientKeyMaterial.isPresent()) {
            throw new IllegalArgumentException(
                    "certChainFile, privateKeyFile and clientKeyMaterial must all be set or all be empty");
        }
    }

    /** The JVM's trust store, no client certificate, the endpoint's host as authority. */
    public static UpstreamTlsSettings defaults() {
        return new UpstreamTlsSettings(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                                       Optional.empty());
    }

    /** Whether Portico presents a client certificate (mutual TLS). */
    public boolean mutual() {
        return certChainFile.isPresent();
    }
}
