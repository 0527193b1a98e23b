package dev.portico.upstream;

import static java.util.Objects.requireNonNull;

import io.grpc.CallOptions;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;

/**
 * One attempt of a proxied call on a picked endpoint. It knows whether anything of the call can have reached
 * the upstream, which decides whether a failed call may be sent to another endpoint, and it reports the
 * attempt's outcome to its endpoint (passive ejection).
 *
 * <p>"Nothing reached the upstream" means the request headers were never written to a connection and no
 * response came back. grpc-java reports both to a {@link StreamProgress}: the first once the HTTP/2 HEADERS
 * frame was written. A caller that sends request messages only while {@code ClientCall.isReady()} (which
 * stays false until the transport stream exists) has then sent no message either. Such a call was refused,
 * failed to connect, or met a channel that was shut down: no server can have processed it.
 *
 * <p><b>Threads:</b> its {@link StreamProgress} is set on grpc-java's transport threads and read on the call's
 * thread; everything else belongs to the call's thread.
 */
public final class UpstreamAttempt {
    private final PickResult.Picked target;
    private final List<Endpoint> tried;
    private final StreamProgress progress = new StreamProgress();

    private UpstreamAttempt(PickResult.Picked target, List<Endpoint> tried) {
        this.target = target;
        this.tried = tried;
    }

    /** The first attempt of a call. */
    public static UpstreamAttempt first(PickResult.Picked target) {
        requireNonNull(target, "target");
        return new UpstreamAttempt(target, List.of(target.endpoint()));
    }

    /** The next attempt, on {@code nextTarget}; its {@link #tried} lists this attempt's endpoints too. */
    public UpstreamAttempt next(PickResult.Picked nextTarget) {
        requireNonNull(nextTarget, "nextTarget");
        final List<Endpoint> all = new ArrayList<>(tried);
        all.add(nextTarget.endpoint());
        return new UpstreamAttempt(nextTarget, List.copyOf(all));
    }

    public PickResult.Picked target() {
        return target;
    }

    /** The endpoints of this attempt and the ones before it, in order. */
    public List<Endpoint> tried() {
        return tried;
    }

    /** {@code options} with this attempt's tracer, which watches the request headers go out. */
    public CallOptions trace(CallOptions options) {
        return options.withStreamTracerFactory(progress);
    }

    /**
     * Whether an attempt that ended with {@code status} may be sent to another endpoint: it failed with
     * UNAVAILABLE and nothing of it reached the upstream. A call that may have been processed never is.
     */
    public boolean retryable(Status status) {
        return status.getCode() == Status.Code.UNAVAILABLE && !progress.headersSent()
               && !progress.answered();
    }

    /**
     * Whether the attempt's status came in the upstream's trailers (the service's own answer), rather than
     * from grpc-java itself (a transport failure, a reset stream, a non-gRPC answer, a local deadline).
     */
    public boolean statusFromUpstream() {
        return progress.trailersReceived();
    }

    /** The attempt's upstream call starts now: counted by its endpoint's metrics. */
    public void started() {
        target.onCallStarted();
    }

    /** The attempt ended with {@code status}: counted by its endpoint's passive ejection. */
    public void onClosed(Status status) {
        target.onCallClosed(status);
    }
}
