package dev.portico.proxy.testing;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.time.Duration;

/**
 * Requests that Portico may answer from their head alone (a refused content type, a bad header), before the
 * client has sent the body. A server may do that (RFC 9113 section 8.1; RFC 9112 section 9.6), and it may
 * then reset the stream or close the connection, so sending the body can fail although the answer arrived.
 * Real clients read that answer; so does this helper.
 */
public final class EarlyAnswers {
    private EarlyAnswers() {}

    /** Sends the whole request, tolerating a closed stream or connection while sending the body. */
    public static TestHttpClient.Response call(TestHttpClient client, HttpMethod method, String path,
                                               HttpHeaders headers, byte[] body) throws Exception {
        final TestHttpClient.Exchange exchange = client.open(method, path, headers);
        try {
            exchange.writeAndEnd(body);
        } catch (Exception e) {
            // Closed, reset or broken pipe; sync() rethrows them undeclared, hence the broad catch.
            if (!(e instanceof IOException)) {
                throw e;
            }
            // Answered and closed before the body went out: the answer is still in the exchange.
        }
        return exchange.awaitResponse(Duration.ofSeconds(10));
    }
}
