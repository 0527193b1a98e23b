package dev.portico.proxy.testing;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * HTTP/1.1 on a plain socket, byte for byte: a whole request (head and body) goes out in one write, so the
 * server sees it all before it answers, and the test controls every header byte (to hit a header-size limit
 * exactly). Reads responses with a Content-Length or chunked body, and tells whether the server closed.
 *
 * <p>One connection per instance; not thread-safe.
 */
public final class RawHttp1Connection implements AutoCloseable {
    private static final int TIMEOUT_MILLIS = 10_000;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RawHttp1Connection(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    public static RawHttp1Connection connect(int port) throws IOException {
        final Socket socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(TIMEOUT_MILLIS);
        socket.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MILLIS);
        return new RawHttp1Connection(socket);
    }

    /**
     * The bytes of a request: the request line, {@code host}, then {@code headers} in order, each as
     * {@code name: value}, and the body. Give {@code content-length} yourself when there is a body.
     */
    public static byte[] request(String method, String path, int port, Map<String, String> headers,
                                 byte[] body) {
        final StringBuilder head = new StringBuilder()
                .append(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                .append("host: 127.0.0.1:").append(port).append("\r\n");
        headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        head.append("\r\n");
        return GrpcWeb.concat(head.toString().getBytes(StandardCharsets.ISO_8859_1), body);
    }

    public void send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** Reads one response. Trailers of a chunked body are returned as the response's trailers. */
    public TestHttpClient.Response readResponse() throws IOException {
        final String statusLine = readLine();
        if (statusLine == null) {
            throw new AssertionError("the connection closed before a response arrived");
        }
        final String[] parts = statusLine.split(" ", 3);
        final int status = Integer.parseInt(parts[1]);
        final HttpHeaders headers = readFields();
        final HttpHeaders trailers = new DefaultHttpHeaders();
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            while (true) {
                final String sizeLine = readLine();
                final int size = Integer.parseInt(sizeLine.split(";", 2)[0].trim(), 16);
                if (size == 0) {
                    trailers.add(readFields());
                    break;
                }
                body.writeBytes(in.readNBytes(size));
                readLine();
            }
        } else if (headers.contains("content-length")) {
            body.writeBytes(in.readNBytes(Integer.parseInt(headers.get("content-length"))));
        }
        return new TestHttpClient.Response(status, headers, body.toByteArray(), trailers);
    }

    /**
     * Whether the server closed the connection (end of stream or reset) within {@code timeout}, rather than
     * keeping it open for another request. Consumes nothing if it stays open.
     */
    public boolean closedByServer(Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
        try {
            in.mark(1);
            final int b = in.read();
            if (b >= 0) {
                in.reset();
                throw new AssertionError("unexpected byte from the server: " + b);
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // Reset by the server: closed too.
        } finally {
            if (!socket.isClosed()) {
                socket.setSoTimeout(TIMEOUT_MILLIS);
            }
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    private HttpHeaders readFields() throws IOException {
        final HttpHeaders fields = new DefaultHttpHeaders();
        for (String line = readLine(); line != null && !line.isEmpty(); line = readLine()) {
            final int colon = line.indexOf(':');
            fields.add(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
        }
        return fields;
    }

    /** A line without its CRLF, or null at the end of the stream. */
    private String readLine() throws IOException {
        final ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            final int b = in.read();
            if (b < 0) {
                return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
            }
            if (b == '\n') {
                final byte[] bytes = line.toByteArray();
                final int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1
                                                                                       : bytes.length;
                return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
            }
            line.write(b);
        }
    }
}
