package dev.portico.proxy.observe;

import dev.portico.proxy.call.ByteArrayMarshaller;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.common.export.GrpcResponse;
import io.opentelemetry.sdk.common.export.GrpcSender;
import io.opentelemetry.sdk.common.export.GrpcSenderConfig;
import io.opentelemetry.sdk.common.export.GrpcSenderProvider;
import io.opentelemetry.sdk.common.export.GrpcStatusCode;
import io.opentelemetry.sdk.common.export.MessageWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The OTLP/gRPC exporter's transport on grpc-java, which Portico already has, found by the exporter through
 * {@code META-INF/services}. (The SDK's own gRPC senders need OkHttp and Kotlin, or the
 * {@code opentelemetry-exporter-sender-grpc-managed-channel} artifact, which Maven Central here does not
 * serve.) Each export is one unary call with the exporter's timeout as its deadline, on a channel of its
 * own with grpc-java's threads, never Portico's event loops; a failed export is not retried (the batch
 * processor's queue is the only buffer).
 */
public final class GrpcJavaSenderProvider implements GrpcSenderProvider {
    @Override
    public GrpcSender createSender(GrpcSenderConfig config) {
        return new Sender(config);
    }

    private static final class Sender implements GrpcSender {
        private final ManagedChannel channel;
        private final MethodDescriptor<byte[], byte[]> method;
        private final GrpcSenderConfig config;

        Sender(GrpcSenderConfig config) {
            this.config = config;
            final URI endpoint = config.getEndpoint();
            final boolean tls = "https".equals(endpoint.getScheme());
            final int port = endpoint.getPort() >= 0 ? endpoint.getPort() : tls ? 443 : 80;
            final NettyChannelBuilder builder = NettyChannelBuilder.forAddress(endpoint.getHost(), port);
            this.channel = (tls ? builder.useTransportSecurity() : builder.usePlaintext()).build();
            this.method = MethodDescriptor.<byte[], byte[]>newBuilder()
                    .setType(MethodDescriptor.MethodType.UNARY)
                    .setFullMethodName(config.getFullMethodName())
                    .setRequestMarshaller(ByteArrayMarshaller.INSTANCE)
                    .setResponseMarshaller(ByteArrayMarshaller.INSTANCE)
                    .build();
        }

        @Override
        public void send(MessageWriter writer, Consumer<GrpcResponse> onResponse, Consumer<Throwable> onError) {
            final byte[] request;
            try {
                final ByteArrayOutputStream out = new ByteArrayOutputStream(writer.getContentLength());
                writer.writeMessage(out);
                request = out.toByteArray();
            } catch (IOException e) {
                onError.accept(e);
                return;
            }
            final Metadata headers = new Metadata();
            final Map<String, List<String>> extra = config.getHeadersSupplier().get();
            if (extra != null) {
                extra.forEach((name, values) -> values.forEach(value -> headers.put(
                        Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value)));
            }
            final CallOptions options = CallOptions.DEFAULT
                    .withDeadlineAfter(config.getTimeout().toNanos(), TimeUnit.NANOSECONDS);
            ClientCalls.asyncUnaryCall(
                    ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers))
                            .newCall(method, options),
                    request, new StreamObserver<>() {
                        private byte[] response = new byte[0];

                        @Override
                        public void onNext(byte[] value) {
                            response = value;
                        }

                        @Override
                        public void onError(Throwable t) {
                            if (t instanceof StatusRuntimeException e) {
                                onResponse.accept(new Response(GrpcStatusCode.fromValue(e.getStatus().getCode()
                                        .value()), e.getStatus().getDescription(), new byte[0]));
                            } else {
                                onError.accept(t);
                            }
                        }

                        @Override
                        public void onCompleted() {
                            onResponse.accept(new Response(GrpcStatusCode.OK, null, response));
                        }
                    });
        }

        @Override
        public CompletableResultCode shutdown() {
            channel.shutdownNow();
            return CompletableResultCode.ofSuccess();
        }
    }

    private record Response(GrpcStatusCode statusCode, String statusDescription, byte[] responseMessage)
            implements GrpcResponse {
        @Override
        public GrpcStatusCode getStatusCode() {
            return statusCode;
        }

        @Override
        public String getStatusDescription() {
            return statusDescription;
        }

        @Override
        public byte[] getResponseMessage() {
            return responseMessage;
        }
    }
}
