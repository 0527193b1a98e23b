package dev.portico.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.config.OutlierDetectionSettings;
import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Which outcomes count, when an endpoint is ejected, for how long, and the cap on ejections. */
class OutlierDetectorTest {
    private final AtomicLong now = new AtomicLong();
    private final OutlierDetector detector = new OutlierDetector(
            new OutlierDetectionSettings(true, 3, Duration.ofSeconds(10), Duration.ofSeconds(35), 50), now::get);
    private final OutlierDetector.Counters counters = new OutlierDetector.Counters();

    private boolean fail() {
        return detector.record(counters, Status.Code.UNAVAILABLE);
    }

    @Test
    void theThresholdOfUnavailableOutcomesInARowAsksForOneDecision() {
        assertThat(fail()).isFalse();
        assertThat(fail()).isFalse();
        assertThat(fail()).as("third failure: decision due").isTrue();
        assertThat(fail()).as("already queued").isFalse();
    }

    @Test
    void anyAnswerFromTheServerResetsTheCount() {
        fail();
        fail();
        detector.record(counters, Status.Code.NOT_FOUND);

        assertThat(fail()).isFalse();
        assertThat(fail()).isFalse();
        assertThat(fail()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(value = Status.Code.class, names = {"CANCELLED", "DEADLINE_EXCEEDED"})
    void cancellationsAndDeadlinesSayNothingAboutTheEndpoint(Status.Code code) {
        fail();
        fail();
        detector.record(counters, code);

        assertThat(fail()).isTrue();
    }

    @Test
    void ejectionsLastLongerEachTimeUpToTheCap() {
        assertThat(ejectAfterFailures(3, 0)).hasValue(Duration.ofSeconds(10));
        detector.returned(counters);
        assertThat(ejectAfterFailures(3, 0)).hasValue(Duration.ofSeconds(20));
        detector.returned(counters);
        assertThat(ejectAfterFailures(3, 0)).hasValue(Duration.ofSeconds(30));
        detector.returned(counters);
        assertThat(ejectAfterFailures(3, 0)).as("capped").hasValue(Duration.ofSeconds(35));
    }

    @Test
    void anEndpointThatStayedInLongerThanTheCapStartsOver() {
        assertThat(ejectAfterFailures(3, 0)).hasValue(Duration.ofSeconds(10));
        detector.returned(counters);
        now.addAndGet(Duration.ofSeconds(36).toNanos());

        assertThat(ejectAfterFailures(3, 0)).hasValue(Duration.ofSeconds(10));
    }

    @Test
    void noEjectionLeavesMoreThanTheMaximumShareEjected() {
        // 50% of 3 endpoints: one may be out, not two.
        assertThat(ejectAfterFailures(3, 1)).isEmpty();
        assertThat(counters.ejected).isFalse();
        // The count starts over, so the next decision needs the threshold again.
        assertThat(fail()).isFalse();
    }

    @Test
    void aOneEndpointClusterIsNeverEmptied() {
        for (int i = 0; i < 3; i++) {
            fail();
        }

        assertThat(detector.eject(counters, 1, 0)).isEmpty();
    }

    @Test
    void aSuccessBeforeTheDecisionCancelsIt() {
        for (int i = 0; i < 3; i++) {
            fail();
        }
        detector.record(counters, Status.Code.OK);

        assertThat(detector.eject(counters, 3, 0)).isEmpty();
    }

    @Test
    void disabledDetectionNeverAsks() {
        final OutlierDetector off = new OutlierDetector(
                new OutlierDetectionSettings(false, 1, Duration.ofSeconds(1), Duration.ofSeconds(1), 100), now::get);

        assertThat(off.record(counters, Status.Code.UNAVAILABLE)).isFalse();
    }

    private java.util.Optional<Duration> ejectAfterFailures(int failures, int alreadyEjected) {
        for (int i = 0; i < failures; i++) {
            fail();
        }
        return detector.eject(counters, 3, alreadyEjected);
    }
}
