package dev.portico.upstream;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.HandlerRegistry;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A real grpc-java server on a loopback address answering any unary method with its own name, optionally
 * only once {@link #release()} is called (to hold a call in flight).
 */
final class TestServer implements AutoCloseable {
    static final MethodDescriptor<byte[], byte[]> WHO = unary("test.Who/Ami");

    private final String name;
    private final Server server;
    private volatile CountDownLatch gate;

    private TestServer(String name, InetSocketAddress address) throws IOException {
        this.name = name;
        this.server = NettyServerBuilder.forAddress(address).fallbackHandlerRegistry(new HandlerRegistry() {
            @Override
            public ServerMethodDefinition<?, ?> lookupMethod(String method, String authority) {
                return method.startsWith("grpc.") ? null : ServerMethodDefinition.create(unary(method), new Answer());
            }
        }).build().start();
    }

    static TestServer start(String name, String host, int port) throws IOException {
        return new TestServer(name, new InetSocketAddress(host, port));
    }

    int port() {
        return server.getPort();
    }

    String endpoint() {
        return ((InetSocketAddress) server.getListenSockets().get(0)).getAddress().getHostAddress() + ':' + port();
    }

    /** Calls from now on wait for {@link #release()} before answering. */
    void hold() {
        gate = new CountDownLatch(1);
    }

    void release() {
        gate.countDown();
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
    }

    /** Asks whoever is behind {@code channel} for its name. */
    static String who(Channel channel) {
        return new String(ClientCalls.blockingUnaryCall(
                channel, WHO, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), new byte[0]),
                StandardCharsets.UTF_8);
    }

    static MethodDescriptor<byte[], byte[]> unary(String name) {
        return MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(name)
                .setRequestMarshaller(Bytes.INSTANCE)
                .setResponseMarshaller(Bytes.INSTANCE)
                .build();
    }

    private final class Answer implements ServerCallHandler<byte[], byte[]> {
        @Override
        public ServerCall.Listener<byte[]> startCall(ServerCall<byte[], byte[]> call, Metadata headers) {
            call.request(1);
            final CountDownLatch wait = gate;
            return new ServerCall.Listener<>() {
                @Override
                public void onHalfClose() {
                    final Runnable answer = () -> {
                        call.sendHeaders(new Metadata());
                        call.sendMessage(name.getBytes(StandardCharsets.UTF_8));
                        call.close(Status.OK, new Metadata());
                    };
                    if (wait == null) {
                        answer.run();
                    } else {
                        new Thread(() -> {
                            try {
                                wait.await(10, TimeUnit.SECONDS);
                                answer.run();
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }).start();
                    }
                }
            };
        }
    }

    static final class Bytes implements MethodDescriptor.Marshaller<byte[]> {
        static final Bytes INSTANCE = new Bytes();

        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try (stream) {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
