package dev.portico.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMDecryptorProviderBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;

/**
 * Reads PEM private keys and certificates in every form users have: {@code BEGIN PRIVATE KEY} (PKCS#8),
 * {@code BEGIN ENCRYPTED PRIVATE KEY} (PKCS#8 with a password), {@code BEGIN RSA PRIVATE KEY} (PKCS#1) and
 * {@code BEGIN EC PRIVATE KEY} (SEC1, possibly after {@code BEGIN EC PARAMETERS}), alone or in one file with
 * certificates, in any order. BouncyCastle parses; the keys and certificates are the JDK's own types.
 * Stateless and thread-safe.
 */
final class PemReader {
    /** Decrypts only, made on first use: never registered as a JVM-wide provider. */
    private static final class Decryption {
        static final Provider PROVIDER = new BouncyCastleProvider();
    }

    private PemReader() {}

    /** What makes a PEM file unusable, said for a person; the caller adds which key named the file. */
    static final class UnreadablePem extends Exception {
        private static final long serialVersionUID = 1L;

        UnreadablePem(String reason, Throwable cause) {
            super(reason, cause);
        }
    }

    /** The one private key in {@code file}; {@code password} (null: none) decrypts an encrypted one. */
    static PrivateKey privateKey(Path file, char[] password) throws UnreadablePem {
        PrivateKeyInfo found = null;
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1);
             PEMParser parser = new PEMParser(reader)) {
            for (Object object = parser.readObject(); object != null; object = parser.readObject()) {
                final PrivateKeyInfo info = keyInfo(object, password);
                if (info == null) {
                    continue; // EC PARAMETERS, certificates: what may sit beside a key
                }
                if (found != null) {
                    throw new UnreadablePem("holds more than one private key; keep only the certificate's",
                                            null);
                }
                found = info;
            }
            if (found == null) {
                throw new UnreadablePem("not a PEM private key: no BEGIN PRIVATE KEY, ENCRYPTED PRIVATE KEY, "
                                        + "RSA PRIVATE KEY or EC PRIVATE KEY block in " + file, null);
            }
            return new JcaPEMKeyConverter().getPrivateKey(found);
        } catch (IOException | RuntimeException e) {
            // PEMParser reports bad base64 or DER as IOException (or an unchecked one from the ASN.1 parser).
            throw new UnreadablePem("not a PEM private key (" + file + "): " + e.getMessage(), e);
        }
    }

    /** The key of a PEM object, decrypted when it is encrypted; null when the object is not a key. */
    private static PrivateKeyInfo keyInfo(Object object, char[] password) throws UnreadablePem, IOException {
        if (object instanceof PrivateKeyInfo info) {
            return info;
        }
        if (object instanceof PEMKeyPair pair) {
            return pair.getPrivateKeyInfo();
        }
        if (object instanceof PKCS8EncryptedPrivateKeyInfo encrypted) {
            try {
                return encrypted.decryptPrivateKeyInfo(new JceOpenSSLPKCS8DecryptorProviderBuilder()
                        .setProvider(Decryption.PROVIDER).build(need(password)));
            } catch (OperatorCreationException | PKCSException e) {
                throw new UnreadablePem("cannot decrypt the encrypted PKCS#8 private key (wrong password?): "
                                        + e.getMessage(), e);
            }
        }
        if (object instanceof PEMEncryptedKeyPair encrypted) {
            try {
                return encrypted.decryptKeyPair(new JcePEMDecryptorProviderBuilder()
                                                        .setProvider(Decryption.PROVIDER).build(need(password)))
                                .getPrivateKeyInfo();
            } catch (IOException e) {
                throw new UnreadablePem("cannot decrypt the encrypted private key (wrong password?): "
                                        + e.getMessage(), e);
            }
        }
        return null;
    }

    private static char[] need(char[] password) throws UnreadablePem {
        if (password == null) {
            throw new UnreadablePem("is an encrypted private key, and no password is configured "
                                    + "(private-key-password or private-key-password-file)", null);
        }
        return password;
    }

    /** Every certificate in {@code file}, in file order; keys beside them are skipped. */
    static List<X509Certificate> certificates(Path file) throws UnreadablePem {
        final List<X509Certificate> certificates = new ArrayList<>();
        final JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.ISO_8859_1);
             PEMParser parser = new PEMParser(reader)) {
            for (Object object = parser.readObject(); object != null; object = parser.readObject()) {
                if (object instanceof X509CertificateHolder holder) {
                    certificates.add(converter.getCertificate(holder));
                }
            }
        } catch (IOException | CertificateException | RuntimeException e) {
            throw new UnreadablePem("not a PEM certificate (" + file + "): " + e.getMessage(), e);
        }
        if (certificates.isEmpty()) {
            throw new UnreadablePem("not a PEM certificate: no BEGIN CERTIFICATE block in " + file, null);
        }
        return certificates;
    }

    /**
     * Checks that {@code key} is the private half of {@code leaf}'s public key, by signing a few bytes and
     * verifying them: the handshake would fail later, with a far less helpful error. Key types other than
     * RSA, EC and EdDSA are not checked.
     */
    static void checkKeyMatches(PrivateKey key, X509Certificate leaf) throws UnreadablePem {
        final PublicKey publicKey = leaf.getPublicKey();
        final String algorithm = signatureAlgorithm(key.getAlgorithm());
        if (algorithm == null) {
            return;
        }
        final String mismatch = "does not belong to the first certificate (" + leaf.getSubjectX500Principal()
                                + ", " + publicKey.getAlgorithm() + " key)";
        if (!key.getAlgorithm().equals(publicKey.getAlgorithm())) {
            throw new UnreadablePem("(" + key.getAlgorithm() + " key) " + mismatch, null);
        }
        final byte[] challenge = "portico key check".getBytes(StandardCharsets.US_ASCII);
        try {
            final Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            final byte[] signature = signer.sign();
            final Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            if (!verifier.verify(signature)) {
                throw new UnreadablePem(mismatch, null);
            }
        } catch (GeneralSecurityException e) {
            throw new UnreadablePem(mismatch + ": " + e.getMessage(), e);
        }
    }

    private static String signatureAlgorithm(String keyAlgorithm) {
        return switch (keyAlgorithm) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "Ed448", "EdDSA" -> keyAlgorithm;
            default -> null;
        };
    }
}
