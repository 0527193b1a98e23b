package dev.portico.proxy.testing;

import io.grpc.ForwardingServerCall;
import io.grpc.HandlerRegistry;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerMethodDefinition;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * A real grpc-java server on a loopback address that answers any unary method of any service by echoing the
 * request bytes, and says who it is in the {@code x-backend} response header (or trailer, when it fails the
 * call). It records the {@code x-call-id} of every call it receives, and can be made slow, made to fail calls,
 * made to hold calls unanswered until released, flipped to NOT_SERVING, closed gracefully or killed. It serves
 * {@code grpc.health.v1.Health} unless started without it; it never serves reflection.
 */
public final class TestBackend implements AutoCloseable {
    public static final Metadata.Key<String> BACKEND =
            Metadata.Key.of("x-backend", Metadata.ASCII_STRING_MARSHALLER);
    public static final Metadata.Key<String> CALL_ID =
            Metadata.Key.of("x-call-id", Metadata.ASCII_STRING_MARSHALLER);

    private static final ScheduledExecutorService DELAYS = Executors.newSingleThreadScheduledExecutor(r -> {
        final Thread thread = new Thread(r, "test-backend-delays");
        thread.setDaemon(true);
        return thread;
    });

    private final String name;
    private final HealthStatusManager health;
    private final Server server;
    private final Set<String> received = ConcurrentHashMap.newKeySet();
    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicInteger callsSeen = new AtomicInteger();
    /** Answers held back by {@link #hold()}, or null when calls are answered. Guarded by {@code this}. */
    private List<Runnable> held;
    private volatile long delayMillis;
    private volatile long streamPauseMillis;
    private volatile long healthDelayMillis;
    private volatile Status failure;
    private volatile Answer answer;

    /**
     * How every call is answered instead of the plain echo: {@code headers} and the echo, then
     * {@code status} with {@code trailers} (the status and trailers alone when {@code trailersOnly}).
     */
    public record Answer(Metadata headers, boolean trailersOnly, Status status, Metadata trailers) {}

    private TestBackend(String name, InetSocketAddress address, boolean healthService,
                        ServerCredentials credentials) throws IOException {
        this(name, address, healthService, credentials, builder -> builder);
    }

    private TestBackend(String name, InetSocketAddress address, boolean healthService,
                        ServerCredentials credentials, UnaryOperator<NettyServerBuilder> tuning)
            throws IOException {
        this.name = name;
        this.health = healthService ? new HealthStatusManager() : null;
        final NettyServerBuilder builder = NettyServerBuilder.forAddress(address, credentials)
                .fallbackHandlerRegistry(new EchoRegistry())
                .intercept(new CallCounter());
        if (health != null) {
            builder.addService(ServerInterceptors.intercept(health.getHealthService(), new SlowHealth()));
        }
        this.server = tuning.apply(builder).build().start();
    }

    /**
     * A backend on 127.0.0.1 that enforces keep-alive as every default grpc-java server does (PINGs only while
     * calls are in flight, three too early ones end the connection with GOAWAY too_many_pings), but permitting
     * one PING per {@code permitKeepAliveTime} instead of the default 5 minutes.
     */
    public static TestBackend startPermittingPingsEvery(String name, Duration permitKeepAliveTime)
            throws IOException {
        return new TestBackend(name, new InetSocketAddress("127.0.0.1", 0), true,
                               InsecureServerCredentials.create(),
                               builder -> builder.permitKeepAliveTime(permitKeepAliveTime.toNanos(),
                                                                      TimeUnit.NANOSECONDS));
    }

    /** A backend with the health service, SERVING, on {@code host} at {@code port} (0: any free port). */
    public static TestBackend start(String name, String host, int port) throws IOException {
        return new TestBackend(name, new InetSocketAddress(host, port), true, InsecureServerCredentials.create());
    }

    /** A backend with the health service on 127.0.0.1, serving TLS as {@code credentials} say. */
    public static TestBackend startTls(String name, ServerCredentials credentials) throws IOException {
        return new TestBackend(name, new InetSocketAddress("127.0.0.1", 0), true, credentials);
    }

    /** A backend on 127.0.0.1 that does not implement {@code grpc.health.v1.Health}. */
    public static TestBackend startWithoutHealthService(String name) throws IOException {
        return new TestBackend(name, new InetSocketAddress("127.0.0.1", 0), false,
                               InsecureServerCredentials.create());
    }

    public String name() {
        return name;
    }

    public int port() {
        return server.getPort();
    }

    /** {@code host:port} as Portico's configuration takes it. */
    public String endpoint() {
        final InetSocketAddress address = (InetSocketAddress) server.getListenSockets().get(0);
        return address.getAddress().getHostAddress() + ':' + address.getPort();
    }

    /** Sets the whole server's status ("" service), which Watch clients learn at once. */
    public void setServing(boolean serving) {
        health.setStatus("", serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
    }

    /** Sets one service's status. */
    public void setServing(String service, boolean serving) {
        health.setStatus(service, serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
    }

    /**
     * Every call from now on answers its echo at once, then stays quiet for {@code millis}, then sends the echo
     * again and ends: a server stream that waits for events. 0 answers once, as usual.
     */
    public void pauseMidStream(long millis) {
        this.streamPauseMillis = millis;
    }

    /** Every health answer (Check, and each Watch update) from now on is sent {@code millis} late. */
    public void delayHealth(long millis) {
        this.healthDelayMillis = millis;
    }

    /** Every call from now on is answered after {@code millis}. */
    public void delay(long millis) {
        this.delayMillis = millis;
    }

    /** Every call from now on fails with {@code status}; null answers them again. */
    public void failWith(Status status) {
        this.failure = status;
    }

    /** Every call from now on is answered as {@code answer} says; null echoes again. */
    public void answerWith(Answer answer) {
        this.answer = answer;
    }

    /** Whether a call with this {@code x-call-id} reached the server (its handler, or its interceptors). */
    public boolean received(String callId) {
        return received.contains(callId);
    }

    /** Calls received, health checks not counted. */
    public int calls() {
        return calls.get();
    }

    /**
     * Calls that reached the server (counted by a server interceptor, before any handler runs, so a call the
     * client cancels at once is counted too), health checks not counted.
     */
    public int callsSeen() {
        return callsSeen.get();
    }

    /** From now on calls get no answer until {@link #release()}: a test fills a stream limit with them. */
    public synchronized void hold() {
        if (held == null) {
            held = new ArrayList<>();
        }
    }

    /** Calls held unanswered by {@link #hold()} so far. */
    public synchronized int held() {
        return held == null ? 0 : held.size();
    }

    /** Answers the calls held so far, and every call from now on at once again. */
    public void release() {
        final List<Runnable> answers;
        synchronized (this) {
            answers = held == null ? List.of() : held;
            held = null;
        }
        answers.forEach(DELAYS::execute);
    }

    /** Holds {@code answer} if calls are held; returns false if it should run now. */
    private synchronized boolean heldBack(Runnable answer) {
        if (held == null) {
            return false;
        }
        held.add(answer);
        return true;
    }

    /** Closes the server gracefully: GOAWAY, calls in flight finish, new connections are refused. */
    public void shutdownGracefully() {
        server.shutdown();
    }

    /** Kills the server: listener and connections closed at once, calls in flight fail. */
    public void kill() throws InterruptedException {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (health != null) {
            health.enterTerminalState();
        }
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
    }

    /** Answers every method that is not the health service's with the echo handler. */
    private final class EchoRegistry extends HandlerRegistry {
        @Override
        public ServerMethodDefinition<?, ?> lookupMethod(String methodName, String authority) {
            if (methodName.startsWith("grpc.")) {
                return null; // UNIMPLEMENTED, like a server without the service
            }
            final MethodDescriptor<byte[], byte[]> method = MethodDescriptor.<byte[], byte[]>newBuilder()
                    // grpc-java's server refuses a second answer to a method it knows as unary.
                    .setType(streamPauseMillis > 0 ? MethodDescriptor.MethodType.SERVER_STREAMING
                                                   : MethodDescriptor.MethodType.UNARY)
                    .setFullMethodName(methodName)
                    .setRequestMarshaller(Bytes.INSTANCE)
                    .setResponseMarshaller(Bytes.INSTANCE)
                    .build();
            return ServerMethodDefinition.create(method, new Echo());
        }
    }

    private final class Echo implements ServerCallHandler<byte[], byte[]> {
        @Override
        public ServerCall.Listener<byte[]> startCall(ServerCall<byte[], byte[]> call, Metadata headers) {
            calls.incrementAndGet();
            final String id = headers.get(CALL_ID);
            if (id != null) {
                received.add(id);
            }
            call.request(2);
            return new ServerCall.Listener<>() {
                private byte[] request = new byte[0];

                @Override
                public void onMessage(byte[] message) {
                    request = message;
                }

                @Override
                public void onHalfClose() {
                    final long delay = delayMillis;
                    if (heldBack(this::answer)) {
                        return;
                    }
                    if (delay > 0) {
                        DELAYS.schedule(this::answer, delay, TimeUnit.MILLISECONDS);
                    } else {
                        answer();
                    }
                }

                private void answer() {
                    final Metadata identity = new Metadata();
                    identity.put(BACKEND, name);
                    try {
                        final Status status = failure;
                        if (status != null) {
                            call.close(status, identity);
                            return;
                        }
                        final Answer scripted = TestBackend.this.answer;
                        if (scripted != null) {
                            answerAsScripted(scripted);
                            return;
                        }
                        call.sendHeaders(identity);
                        call.sendMessage(request);
                        final long pause = streamPauseMillis;
                        if (pause > 0) {
                            DELAYS.schedule(this::answerAgain, pause, TimeUnit.MILLISECONDS);
                            return;
                        }
                        call.close(Status.OK, new Metadata());
                    } catch (IllegalStateException e) {
                        // The call was cancelled or the server killed meanwhile.
                    }
                }

                private void answerAgain() {
                    try {
                        call.sendMessage(request);
                        call.close(Status.OK, new Metadata());
                    } catch (IllegalStateException e) {
                        // The call was cancelled or the server killed meanwhile.
                    }
                }

                private void answerAsScripted(Answer scripted) {
                    // Copies: grpc-java takes ownership of the metadata it sends.
                    final Metadata trailers = new Metadata();
                    trailers.merge(scripted.trailers());
                    if (!scripted.trailersOnly()) {
                        final Metadata headers = new Metadata();
                        headers.merge(scripted.headers());
                        call.sendHeaders(headers);
                        call.sendMessage(request);
                    }
                    call.close(scripted.status(), trailers);
                }
            };
        }
    }

    /** Sends the health service's answers {@link #healthDelayMillis} late, in order, when it is set. */
    private final class SlowHealth implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                           ServerCallHandler<Q, R> next) {
            return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                @Override
                public void sendHeaders(Metadata responseHeaders) {
                    later(() -> super.sendHeaders(responseHeaders));
                }

                @Override
                public void sendMessage(R message) {
                    later(() -> super.sendMessage(message));
                }

                @Override
                public void close(Status status, Metadata trailers) {
                    later(() -> super.close(status, trailers));
                }

                /** One thread runs every delayed send, so a call's sends keep their order. */
                private void later(Runnable send) {
                    final long delay = healthDelayMillis;
                    if (delay <= 0) {
                        send.run();
                        return;
                    }
                    DELAYS.schedule(() -> {
                        try {
                            send.run();
                        } catch (IllegalStateException e) {
                            // The check was cancelled (timed out) or the server killed meanwhile.
                        }
                    }, delay, TimeUnit.MILLISECONDS);
                }
            }, headers);
        }
    }

    /** Counts the calls that reach the server, whatever becomes of them. */
    private final class CallCounter implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                          ServerCallHandler<Q, R> next) {
            if (!call.getMethodDescriptor().getFullMethodName().startsWith("grpc.")) {
                callsSeen.incrementAndGet();
            }
            return next.startCall(call, headers);
        }
    }

    /** Opaque messages. */
    public static final class Bytes implements MethodDescriptor.Marshaller<byte[]> {
        public static final Bytes INSTANCE = new Bytes();

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
