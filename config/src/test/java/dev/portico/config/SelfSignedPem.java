package dev.portico.config;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A self-signed RSA certificate and its key, as PEM files in a test's directory. */
record SelfSignedPem(Path certificate, Path privateKey) {

    static SelfSignedPem write(Path dir, String prefix) throws Exception {
        final KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        final KeyPair keys = generator.generateKeyPair();
        final X500Name name = new X500Name("CN=" + prefix + ".test");
        final Instant now = Instant.now();
        final var holder = new JcaX509v3CertificateBuilder(
                name, BigInteger.ONE, Date.from(now.minus(1, ChronoUnit.DAYS)),
                Date.from(now.plus(1, ChronoUnit.DAYS)), name, keys.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate()));
        return new SelfSignedPem(Files.writeString(dir.resolve(prefix + ".pem"), pem(holder)),
                                 Files.writeString(dir.resolve(prefix + ".key"), pem(keys.getPrivate())));
    }

    private static String pem(Object object) throws IOException {
        final StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        }
        return out.toString();
    }
}
