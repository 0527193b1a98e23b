package dev.portico.proxy.call;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

/**
 * The only bridge to grpc-java: one native gRPC call to an upstream.
 *
 * <p>Confined to the client's event loop: it is started there, and the call options name that loop as the
 * executor, so every {@link Listener} callback runs there too. No locks are needed.
 */
final class UpstreamCall {

    /** grpc-java's callbacks, with response messages as buffers the listener must release. */
    interface Listener {
        void onHeaders(Metadata headers);

        void onMessage(ByteBuf message);

        void onReady();

        void onClose(Status status, Metadata trailers);
    }

    private final ClientCall<byte[], ByteBuf> call;

    private UpstreamCall(ClientCall<byte[], ByteBuf> call) {
        this.call = call;
    }

    static UpstreamCall start(Channel channel, MethodDescriptor<byte[], ByteBuf> method, CallOptions options,
                              Metadata headers, Listener listener) {
        final ClientCall<byte[], ByteBuf> call = channel.newCall(method, options);
        call.start(new ClientCall.Listener<>() {
            @Override
            public void onHeaders(Metadata upstreamHeaders) {
                listener.onHeaders(upstreamHeaders);
            }

            @Override
            public void onMessage(ByteBuf message) {
                listener.onMessage(message);
            }

            @Override
            public void onReady() {
                listener.onReady();
            }

            @Override
            public void onClose(Status status, Metadata trailers) {
                listener.onClose(status, trailers);
            }
        }, headers);
        return new UpstreamCall(call);
    }

    /** Takes ownership of {@code message}. */
    void send(ByteBuf message) {
        final byte[] bytes;
        try {
            bytes = ByteBufUtil.getBytes(message);
        } finally {
            message.release();
        }
        call.sendMessage(bytes);
    }

    boolean isReady() {
        return call.isReady();
    }

    void request(int count) {
        call.request(count);
    }

    void halfClose() {
        call.halfClose();
    }

    void cancel(String reason, Throwable cause) {
        call.cancel(reason, cause);
    }
}
