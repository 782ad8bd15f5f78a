package ilb.backend;

import java.util.concurrent.TimeUnit;

import ilb.inference.BackendFailure;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Silence bounds every call; a deadline bounds a whole response that is not a stream, the earlier one if two. */
class TimeLimitsTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private static final long NOW = 1_000 * SECOND;

    /** timeout 30 s, deadline 10 s from NOW */
    private final TimeLimits limits = new TimeLimits(30 * SECOND, NOW + 10 * SECOND, false);

    @Test
    void aTrickleRunsOutAtItsDeadlineThoughNeverSilent() {
        long later = NOW + 10 * SECOND;
        assertThat(limits.leftNanos(later, later, false)).isZero();
        assertThat(limits.pastDeadline(later, false)).isTrue();
    }

    @Test
    void silenceRunsOutBeforeADistantDeadline() {
        TimeLimits patient = new TimeLimits(2 * SECOND, NOW + 600 * SECOND, false);
        assertThat(patient.leftNanos(NOW + 2 * SECOND, NOW, false)).isZero();
        assertThat(patient.pastDeadline(NOW + 2 * SECOND, false)).isFalse();
    }

    @Test
    void aStreamIsBoundBySilenceAlone() {
        long pastDeadline = NOW + 60 * SECOND;
        assertThat(limits.leftNanos(pastDeadline, pastDeadline - SECOND, true)).isEqualTo(29 * SECOND);
        assertThat(limits.pastDeadline(pastDeadline, true)).isFalse();
    }

    @Test
    void whatIsLeftIsTheNearerLimit() {
        assertThat(limits.leftNanos(NOW + SECOND, NOW + SECOND, false)).isEqualTo(9 * SECOND);
        assertThat(limits.leftNanos(NOW + 5 * SECOND, NOW - 20 * SECOND, false)).isEqualTo(5 * SECOND);
    }

    @Test
    void theRequestsOwnDeadlineCountsWhenEarlier() {
        BackendSettings settings = Backends.backend("b", 1, 1).settings(); // deadline 1 s
        assertThat(TimeLimits.of(settings, NOW + SECOND / 2, NOW).deadlineNanos()).isEqualTo(NOW + SECOND / 2);
        assertThat(TimeLimits.of(settings, NOW + 5 * SECOND, NOW).deadlineNanos()).isEqualTo(NOW + SECOND);
        assertThat(TimeLimits.of(settings, null, NOW).deadlineNanos()).isEqualTo(NOW + SECOND);
        // whose deadline it is: the request's only when it is the earlier
        assertThat(TimeLimits.of(settings, NOW + SECOND / 2, NOW).requestsOwn()).isTrue();
        assertThat(TimeLimits.of(settings, NOW + 5 * SECOND, NOW).requestsOwn()).isFalse();
        assertThat(TimeLimits.of(settings, null, NOW).requestsOwn()).isFalse();
    }

    @Test
    void deadlinesCompareAcrossTheClocksWrap() {
        long nearWrap = Long.MAX_VALUE - SECOND / 2;
        BackendSettings settings = Backends.backend("b", 1, 1).settings();
        // the backend's deadline, a second on, has wrapped to a negative value: still the later of the two
        assertThat(TimeLimits.of(settings, nearWrap + SECOND / 4, nearWrap).deadlineNanos())
                .isEqualTo(nearWrap + SECOND / 4);
    }

    @Test
    void outOfTimeIsTheRequestsLotOnlyPastItsOwnDeadline() {
        TimeLimits own = new TimeLimits(30 * SECOND, NOW + 10 * SECOND, true);
        long sent = NOW - SECOND;

        assertThat(own.outOfTime(NOW + 10 * SECOND, sent, false)).isEqualTo(new BackendFailure(
                BackendFailure.Kind.EXPIRED, "the response was not complete by the request's deadline, 11000 ms after"
                + " sending"));
        assertThat(limits.outOfTime(NOW + 10 * SECOND, sent, false).kind()).isEqualTo(BackendFailure.Kind.TIMEOUT);
        // silence ran out first, or the response is a stream: the backend's timeout
        assertThat(own.outOfTime(NOW + 5 * SECOND, sent, false)).isEqualTo(new BackendFailure(
                BackendFailure.Kind.TIMEOUT, "no response within 30000 ms"));
        assertThat(own.outOfTime(NOW + 20 * SECOND, sent, true).kind()).isEqualTo(BackendFailure.Kind.TIMEOUT);
    }
}
