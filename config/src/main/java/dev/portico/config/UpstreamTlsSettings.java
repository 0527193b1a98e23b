package dev.portico.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Optional;

/**
 * TLS from Portico to an upstream cluster ({@code portico.upstream.tls}), used when {@code plaintext} is
 * false. Every file was readable at load time; all are PEM.
 *
 * @param trustCertCollectionFile CA certificates that upstream certificates must chain to; empty means the
 *                                JVM's default trust store
 * @param certChainFile           Portico's client certificate chain for mutual TLS; set with
 *                                {@code privateKeyFile} or not at all
 * @param privateKeyFile          PKCS#8 key of the client certificate
 * @param authority               the name upstream certificates are checked against (and sent as SNI and
 *                                {@code :authority}) instead of the endpoint's own host name
 */
public record UpstreamTlsSettings(Optional<Path> trustCertCollectionFile, Optional<Path> certChainFile,
                                  Optional<Path> privateKeyFile, Optional<String> authority) {

    public UpstreamTlsSettings {
        requireNonNull(trustCertCollectionFile, "trustCertCollectionFile");
        requireNonNull(certChainFile, "certChainFile");
        requireNonNull(privateKeyFile, "privateKeyFile");
        requireNonNull(authority, "authority");
        if (certChainFile.isPresent() != privateKeyFile.isPresent()) {
            throw new IllegalArgumentException(
                    "certChainFile and privateKeyFile must both be set or both be empty");
        }
    }

    /** The JVM's trust store, no client certificate, the endpoint's host as authority. */
    public static UpstreamTlsSettings defaults() {
        return new UpstreamTlsSettings(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    /** Whether Portico presents a client certificate (mutual TLS). */
    public boolean mutual() {
        return certChainFile.isPresent();
    }
}
