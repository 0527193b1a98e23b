package dev.portico.proxy;

import dev.portico.config.TlsKeyMaterial;
import dev.portico.config.TlsSettings;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener's TLS context: BoringSSL (netty-tcnative) when it loads and {@code portico.tls.provider}
 * allows it, else the JDK's engine; the same key, chain, HTTP/2 cipher suites and ALPN ({@code h2},
 * {@code http/1.1}) either way. Built once at start-up, which logs the choice once.
 */
final class ListenerSslContext {
    private static final Logger log = LoggerFactory.getLogger(ListenerSslContext.class);

    private ListenerSslContext() {
    }

    /** @throws SSLException when the key cannot be used, or {@code openssl} was asked for and cannot load */
    static SslContext build(TlsSettings tls) throws SSLException {
        // The key and chain were read and checked with the configuration: any PEM form, one-line errors.
        final TlsKeyMaterial material = tls.keyMaterial().orElseThrow();
        return SslContextBuilder.forServer(material.privateKey(), material.certificateArray())
                .sslProvider(provider(tls))
                .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                .applicationProtocolConfig(new ApplicationProtocolConfig(
                        ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1))
                .build();
    }

    private static SslProvider provider(TlsSettings tls) throws SSLException {
        return switch (tls.provider()) {
            case JDK -> {
                log.info("TLS: the JDK's engine (portico.tls.provider = jdk)");
                yield SslProvider.JDK;
            }
            case OPENSSL -> {
                if (!OpenSsl.isAvailable()) {
                    throw new SSLException("portico.tls.provider = openssl, but BoringSSL (netty-tcnative) cannot "
                                           + "load here: " + OpenSsl.unavailabilityCause(),
                                           OpenSsl.unavailabilityCause());
                }
                log.info("TLS: {}", OpenSsl.versionString());
                yield SslProvider.OPENSSL;
            }
            case AUTO -> {
                if (OpenSsl.isAvailable()) {
                    log.info("TLS: {}", OpenSsl.versionString());
                    yield SslProvider.OPENSSL;
                }
                log.warn("TLS: the JDK's engine; BoringSSL (netty-tcnative) cannot load here: {}",
                         String.valueOf(OpenSsl.unavailabilityCause()));
                yield SslProvider.JDK;
            }
        };
    }
}
