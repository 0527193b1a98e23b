package dev.portico.config;

import static java.util.Objects.requireNonNull;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A private key and its certificate chain, read and checked when the configuration was loaded: the key
 * belongs to the first certificate (the leaf), and the chain goes on with its intermediates.
 *
 * @param privateKey       the leaf certificate's private key, whatever PEM form it was written in
 * @param certificateChain leaf first, then intermediates; never empty
 */
public record TlsKeyMaterial(PrivateKey privateKey, List<X509Certificate> certificateChain) {

    public TlsKeyMaterial {
        requireNonNull(privateKey, "privateKey");
        certificateChain = List.copyOf(requireNonNull(certificateChain, "certificateChain"));
        if (certificateChain.isEmpty()) {
            throw new IllegalArgumentException("certificateChain is empty");
        }
    }

    /** The chain as the array TLS libraries take. */
    public X509Certificate[] certificateArray() {
        return certificateChain.toArray(new X509Certificate[0]);
    }

    @Override
    public String toString() {
        // Never the key itself: settings records end up in logs and test failure messages.
        return "TlsKeyMaterial[" + privateKey.getAlgorithm() + " key, "
               + certificateChain.get(0).getSubjectX500Principal() + " and " + (certificateChain.size() - 1)
               + " more certificate(s)]";
    }
}
