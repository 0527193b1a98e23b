package dev.portico.proxy.transport;

import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;

/**
 * The gRPC-Web request head of a call that arrived over a WebSocket ({@link WebSocketCallBridge}): a POST to
 * the upgrade request's path with the call's metadata. Its own type, so that the call is told apart from
 * gRPC-Web over HTTP (its protocol tag is {@code grpc-websocket}).
 */
public final class WebSocketCallRequest extends DefaultHttpRequest {
    WebSocketCallRequest(String path, HttpHeaders headers) {
        super(HttpVersion.HTTP_1_1, HttpMethod.POST, path,
              DefaultHttpHeadersFactory.headersFactory().newHeaders().add(headers));
    }
}
