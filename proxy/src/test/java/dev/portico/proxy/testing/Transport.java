package dev.portico.proxy.testing;

/** How a test client reaches Portico. */
public enum Transport {
    /** HTTP/1.1 keep-alive, cleartext. */
    HTTP1,
    /** HTTP/2 cleartext with prior knowledge. */
    H2C,
    /** HTTP/2 over TLS, chosen by ALPN. */
    H2_TLS,
    /** HTTP/1.1 over TLS, chosen by ALPN. */
    HTTP1_TLS;

    public boolean isHttp2() {
        return this == H2C || this == H2_TLS;
    }

    public boolean isTls() {
        return this == H2_TLS || this == HTTP1_TLS;
    }
}
