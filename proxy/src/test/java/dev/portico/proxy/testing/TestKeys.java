package dev.portico.proxy.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcePEMEncryptorBuilder;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * Keys and certificates made at test time with BouncyCastle, written as PEM in each form tools write keys:
 * PKCS#8 plain and encrypted, PKCS#1 (RSA) and SEC1 (EC, with or without its EC PARAMETERS block), and
 * those two with OpenSSL's legacy encryption.
 */
public final class TestKeys {
    private static final BouncyCastleProvider BC = new BouncyCastleProvider();
    private static final AtomicLong SERIALS = new AtomicLong(System.currentTimeMillis());

    private TestKeys() {}

    public enum KeyType { RSA, EC }

    /** The PEM forms of a private key. */
    public enum KeyFormat {
        /** {@code BEGIN RSA PRIVATE KEY} (PKCS#1) or {@code BEGIN EC PRIVATE KEY} (SEC1). */
        TRADITIONAL,
        /** SEC1 after {@code BEGIN EC PARAMETERS}, as {@code openssl ecparam -genkey} writes it (EC only). */
        SEC1_WITH_PARAMETERS,
        /** {@code BEGIN PRIVATE KEY}. */
        PKCS8,
        /** {@code BEGIN ENCRYPTED PRIVATE KEY}: PBES2, AES-256-CBC, as openssl writes it. */
        ENCRYPTED_PKCS8,
        /** PKCS#1 or SEC1 with OpenSSL's legacy {@code Proc-Type: 4,ENCRYPTED} header (AES-256-CBC). */
        ENCRYPTED_TRADITIONAL;

        public boolean encrypted() {
            return this == ENCRYPTED_PKCS8 || this == ENCRYPTED_TRADITIONAL;
        }
    }

    /** A key pair and the certificate issued for it. */
    public record Issued(KeyPair keys, X509Certificate certificate) {}

    /** A self-signed CA. */
    public static Issued authority(String name, KeyType type) throws Exception {
        final KeyPair keys = keyPair(type);
        return new Issued(keys, certificate(name, keys, name, keys.getPrivate(), true));
    }

    /** A certificate for 127.0.0.1 and {@code name}, issued by {@code issuer} (itself a CA). */
    public static Issued issue(String name, KeyType type, Issued issuer, boolean isAuthority) throws Exception {
        final KeyPair keys = keyPair(type);
        return new Issued(keys, certificate(name, keys, subjectOf(issuer.certificate()),
                                            issuer.keys().getPrivate(), isAuthority));
    }

    /** A self-signed server certificate for 127.0.0.1 and {@code name}. */
    public static Issued selfSigned(String name, KeyType type) throws Exception {
        final KeyPair keys = keyPair(type);
        return new Issued(keys, certificate(name, keys, name, keys.getPrivate(), false));
    }

    /** The certificates as PEM, in the order given. */
    public static String certificatesPem(X509Certificate... certificates) throws IOException {
        final StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            for (X509Certificate certificate : certificates) {
                writer.writeObject(certificate);
            }
        }
        return out.toString();
    }

    /** {@code key} as PEM in {@code format}; {@code password} is used by {@link KeyFormat#ENCRYPTED_PKCS8}. */
    public static String privateKeyPem(PrivateKey key, KeyFormat format, String password) throws Exception {
        final StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            switch (format) {
                case TRADITIONAL -> writeTraditional(writer, key);
                case SEC1_WITH_PARAMETERS -> {
                    writer.writeObject(new PemObject("EC PARAMETERS", curveOf(key).getEncoded()));
                    writeTraditional(writer, key);
                }
                case PKCS8 -> writer.writeObject(new JcaPKCS8Generator(key, null));
                case ENCRYPTED_TRADITIONAL -> writer.writeObject(traditional(key), new JcePEMEncryptorBuilder(
                        "AES-256-CBC").setProvider(BC).build(password.toCharArray()));
                case ENCRYPTED_PKCS8 -> writer.writeObject(new JcaPKCS8Generator(
                        key, new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC)
                                .setProvider(BC).setPassword(password.toCharArray()).build()));
            }
        }
        return out.toString();
    }

    private static void writeTraditional(JcaPEMWriter writer, PrivateKey key) throws IOException {
        writer.writeObject(traditional(key));
    }

    /**
     * The key as BouncyCastle's writer turns into PKCS#1 (RSA) or SEC1 (EC); for EC with the named curve
     * inside the SEC1 structure, as openssl and Go's {@code x509.MarshalECPrivateKey} write it (the JDK's
     * encoding, which BouncyCastle would copy, leaves the curve out).
     */
    private static PrivateKeyInfo traditional(PrivateKey key) throws IOException {
        final PrivateKeyInfo info = PrivateKeyInfo.getInstance(key.getEncoded());
        if (key instanceof ECPrivateKey ec) {
            return new PrivateKeyInfo(info.getPrivateKeyAlgorithm(), new org.bouncycastle.asn1.sec.ECPrivateKey(
                    ec.getParams().getOrder().bitLength(), ec.getS(), curveOf(key)));
        }
        return info;
    }

    private static ASN1Primitive curveOf(PrivateKey key) {
        return PrivateKeyInfo.getInstance(key.getEncoded()).getPrivateKeyAlgorithm().getParameters()
                             .toASN1Primitive();
    }

    private static KeyPair keyPair(KeyType type) throws Exception {
        final KeyPairGenerator generator = KeyPairGenerator.getInstance(type.name());
        if (type == KeyType.RSA) {
            generator.initialize(2048);
        } else {
            generator.initialize(new ECGenParameterSpec("secp256r1"));
        }
        return generator.generateKeyPair();
    }

    private static String subjectOf(X509Certificate certificate) {
        return X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()).getRDNs()[0]
                       .getFirst().getValue().toString();
    }

    private static X509Certificate certificate(String name, KeyPair keys, String issuer, PrivateKey signer,
                                               boolean isAuthority) throws Exception {
        final Instant now = Instant.now();
        final JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                new X500Name("CN=" + issuer), BigInteger.valueOf(SERIALS.incrementAndGet()),
                Date.from(now.minus(1, ChronoUnit.DAYS)), Date.from(now.plus(1, ChronoUnit.DAYS)),
                new X500Name("CN=" + name), keys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(isAuthority));
        if (isAuthority) {
            builder.addExtension(Extension.keyUsage, true,
                                 new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } else {
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                    new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                    new GeneralName(GeneralName.dNSName, name)}));
        }
        final String algorithm = signer.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder(algorithm).build(signer)));
    }
}
