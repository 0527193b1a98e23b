package dev.portico.proxy.testing;

import io.netty.handler.codec.http.HttpHeaders;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One connection to Portico, HTTP/1.1 ({@link RawHttp1Connection}) or h2c ({@link RawHttp2Connection}), that
 * sends each request whole (head and body in one write, with a Content-Length on HTTP/1.1, as browsers send
 * a fetch body) so that the server has all of it before it answers: what the tests then see does not depend
 * on how fast the client wrote. For bad input and limits; {@link TestHttpClient} is the client for the rest.
 */
public interface RawWire extends AutoCloseable {

    /** Connects over {@link Transport#HTTP1} or {@link Transport#H2C}. */
    static RawWire open(Transport transport, int port) throws IOException, InterruptedException {
        return switch (transport) {
            case HTTP1 -> new Http1(RawHttp1Connection.connect(port), port);
            case H2C -> new Http2(RawHttp2Connection.connect(port));
            case H2_TLS, HTTP1_TLS -> throw new IllegalArgumentException("no raw TLS: " + transport);
        };
    }

    /** Sends a request ({@code body} null for none) and returns the whole response. */
    TestHttpClient.Response exchange(String method, String path, HttpHeaders headers, byte[] body)
            throws IOException, InterruptedException;

    /** Whether the server closes the connection within {@code timeout}. */
    boolean closesWithin(Duration timeout) throws IOException, InterruptedException;

    @Override
    void close();

    /** HTTP/1.1 keep-alive on a socket. */
    final class Http1 implements RawWire {
        private final RawHttp1Connection connection;
        private final int port;

        Http1(RawHttp1Connection connection, int port) {
            this.connection = connection;
            this.port = port;
        }

        @Override
        public TestHttpClient.Response exchange(String method, String path, HttpHeaders headers, byte[] body)
                throws IOException {
            final Map<String, String> fields = new LinkedHashMap<>();
            headers.forEach(e -> fields.put(e.getKey(), e.getValue()));
            if (body != null) {
                fields.put("content-length", Integer.toString(body.length));
            }
            final byte[] content = body == null ? new byte[0] : body;
            connection.send(RawHttp1Connection.request(method, path, port, fields, content));
            return connection.readResponse();
        }

        @Override
        public boolean closesWithin(Duration timeout) throws IOException {
            return connection.closedByServer(timeout);
        }

        @Override
        public void close() {
            try {
                connection.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** h2c with prior knowledge; each exchange is a new stream on the same connection. */
    final class Http2 implements RawWire {
        private static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(10);
        private final RawHttp2Connection connection;

        Http2(RawHttp2Connection connection) {
            this.connection = connection;
        }

        public RawHttp2Connection connection() {
            return connection;
        }

        @Override
        public TestHttpClient.Response exchange(String method, String path, HttpHeaders headers, byte[] body)
                throws InterruptedException {
            final int stream = connection.send(connection.headers(method, path, headers), body);
            return connection.await(stream, RESPONSE_TIMEOUT).toResponse();
        }

        @Override
        public boolean closesWithin(Duration timeout) throws InterruptedException {
            return connection.closesWithin(timeout);
        }

        @Override
        public void close() {
            connection.close();
        }
    }
}
