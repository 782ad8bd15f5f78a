package ilb.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** The last minute of a backend's attempts, on a clock the test drives. */
class RecentAttemptsTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private static final long MILLI = TimeUnit.MILLISECONDS.toNanos(1);
    /** Any time: nanoTime may be negative. */
    private static final long START = -7 * SECOND;

    private final RecentAttempts recent = new RecentAttempts();

    @Test
    void nothingYetHasNoLatencyAndNoErrors() {
        RecentAttempts.Summary summary = recent.summary(START);

        assertThat(summary.served()).isZero();
        assertThat(summary.ttftP50Millis()).isEqualTo(-1);
        assertThat(summary.ttftP99Millis()).isEqualTo(-1);
        assertThat(summary.errorRate()).isZero();
        assertThat(summary.attempts()).hasSize(RecentAttempts.SLICES).containsOnly(0L);
        assertThat(summary.ttftP50sMillis()).containsOnly(-1.0);
    }

    @Test
    void percentilesAreWithinTheBucketsWidthOfTheTrueOnes() {
        // 1..100 ms: p50 50 ms, p99 99 ms
        for (int ms = 1; ms <= 100; ms++) {
            recent.served(ms * MILLI, START);
        }

        RecentAttempts.Summary summary = recent.summary(START);

        assertThat(summary.served()).isEqualTo(100);
        assertThat(summary.ttftP50Millis()).isCloseTo(50, within(50 * 0.09));
        assertThat(summary.ttftP99Millis()).isCloseTo(99, within(99 * 0.09));
    }

    @Test
    void theErrorRateIsTheFailedShareOfTheMinutesAttempts() {
        for (int i = 0; i < 3; i++) {
            recent.served(10 * MILLI, START);
        }
        recent.failed(START);

        assertThat(recent.summary(START).errorRate()).isEqualTo(0.25);
    }

    @Test
    void eachSliceIsAPointOfTheSparklineOldestFirst() {
        recent.served(10 * MILLI, START);
        recent.served(10 * MILLI, START + 5 * SECOND);
        recent.served(20 * MILLI, START + 5 * SECOND);
        recent.failed(START + 10 * SECOND);

        RecentAttempts.Summary summary = recent.summary(START + 10 * SECOND);

        long[] attempts = summary.attempts();
        assertThat(attempts[RecentAttempts.SLICES - 1]).isEqualTo(1);
        assertThat(attempts[RecentAttempts.SLICES - 2]).isEqualTo(2);
        assertThat(attempts[RecentAttempts.SLICES - 3]).isEqualTo(1);
        assertThat(summary.errorRates()[RecentAttempts.SLICES - 1]).isEqualTo(1.0);
        assertThat(summary.errorRates()[RecentAttempts.SLICES - 2]).isZero();
        assertThat(summary.ttftP50sMillis()[RecentAttempts.SLICES - 1]).isEqualTo(-1);
        assertThat(summary.ttftP50sMillis()[RecentAttempts.SLICES - 3]).isCloseTo(10, within(1.0));
    }

    @Test
    void attemptsOlderThanAMinuteAreForgotten() {
        recent.failed(START);
        recent.served(500 * MILLI, START);

        RecentAttempts.Summary aMinuteLater = recent.summary(START + 60 * SECOND);
        assertThat(aMinuteLater.served() + aMinuteLater.failed()).isZero();
        assertThat(aMinuteLater.ttftP50Millis()).isEqualTo(-1);

        // the slot the old slice used is emptied when a new one takes it
        recent.served(5 * MILLI, START + 60 * SECOND);
        RecentAttempts.Summary now = recent.summary(START + 60 * SECOND);
        assertThat(now.served()).isEqualTo(1);
        assertThat(now.failed()).isZero();
        assertThat(now.ttftP99Millis()).isCloseTo(5, within(0.5));
    }

    @Test
    void latenciesBeyondTheLastBucketStillCount() {
        recent.served(TimeUnit.HOURS.toNanos(1), START);
        recent.served(0, START);

        RecentAttempts.Summary summary = recent.summary(START);

        assertThat(summary.served()).isEqualTo(2);
        assertThat(summary.ttftP99Millis()).isGreaterThan(60_000);
        assertThat(RecentAttempts.bucket(0)).isZero();
    }
}
