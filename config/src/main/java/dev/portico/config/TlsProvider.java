package dev.portico.config;

/** Which TLS implementation the listener uses ({@code portico.tls.provider}). */
public enum TlsProvider {
    /** BoringSSL when its native library loads on this machine, else the JDK's (logged once at start-up). */
    AUTO,
    /** BoringSSL (netty-tcnative); start-up fails when its native library cannot load. */
    OPENSSL,
    /** The JDK's own TLS engine. */
    JDK
}
