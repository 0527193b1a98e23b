package dev.portico.proxy.transport;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/** Answers for requests that are not in any protocol Portico speaks: a status and a one-line reason. */
public final class PlainResponses {
    private PlainResponses() {}

    /** The caller must release (write) the result. */
    public static FullHttpResponse of(ByteBufAllocator alloc, HttpResponseStatus status, String reason) {
        final FullHttpResponse response = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, status, ByteBufUtil.writeUtf8(alloc, reason + "\n"));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN + "; charset=utf-8");
        HttpUtil.setContentLength(response, response.content().readableBytes());
        return response;
    }
}
