package dev.portico.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.config.PorticoConfig;
import dev.portico.config.TlsProvider;
import dev.portico.proxy.testing.PorticoFixture;
import dev.portico.proxy.testing.TestKeys;
import dev.portico.proxy.testing.TestKeys.Issued;
import dev.portico.proxy.testing.TestKeys.KeyFormat;
import dev.portico.proxy.testing.TestKeys.KeyType;
import dev.portico.proxy.testing.Transport;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code portico.tls.provider}: BoringSSL (netty-tcnative, bundled for linux-x86_64) and the JDK's engine
 * serve the same listener — the same keys, ALPN choosing h2 or http/1.1 — and {@code auto} takes BoringSSL
 * where it loads.
 */
class TlsProviderTest {
    private static final String ECHO = "/portico.demo.v1.DemoService/Echo";

    @TempDir
    Path dir;

    @Test
    void boringSslLoadsOnThisPlatform() {
        // Portico bundles the linux-x86_64 library; the build and its tests run there.
        assertThat(OpenSsl.unavailabilityCause()).isNull();
        assertThat(OpenSsl.isAlpnSupported()).isTrue();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TlsProvider.class)
    void eachProviderServesGrpcWebOverH2AndHttp1ChosenByAlpn(TlsProvider provider) throws Exception {
        final String tls = tls(provider);
        final SslContext context = ListenerSslContext.build(PorticoConfig.parse(tls).tls());
        final SSLEngine engine = context.newEngine(ByteBufAllocator.DEFAULT);
        try {
            if (provider == TlsProvider.JDK) {
                assertThat(context).isInstanceOf(JdkSslContext.class);
            } else {
                assertThat(context).isInstanceOf(OpenSslContext.class);
            }
        } finally {
            ReferenceCountUtil.release(engine);
        }

        try (PorticoFixture portico = PorticoFixture.start(tls + "\nportico.upstream.health-check.enabled = false")) {
            TlsKeysTest.assertEchoWorks(portico, Transport.H2_TLS, "h2");
            TlsKeysTest.assertEchoWorks(portico, Transport.HTTP1_TLS, "http/1.1");
        }
    }

    private String tls(TlsProvider provider) throws Exception {
        final Issued server = TestKeys.selfSigned("portico.test", KeyType.EC);
        final Path cert = Files.writeString(dir.resolve("server.pem"), TestKeys.certificatesPem(server.certificate()));
        final Path key = Files.writeString(dir.resolve("server.key"),
                                           TestKeys.privateKeyPem(server.keys().getPrivate(), KeyFormat.PKCS8, null));
        return "portico.tls { cert-chain-file = \"" + cert + "\", private-key-file = \"" + key
               + "\", provider = " + provider.name().toLowerCase(Locale.ROOT) + " }";
    }
}
