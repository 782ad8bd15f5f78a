package ilb.admission;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class MinuteBucketTest {

    private static final long T0 = 1_000_000;

    @Test
    void aFullBucketLetsTheWholeLimitThroughThenNothing() {
        MinuteBucket bucket = MinuteBucket.full(3, T0);
        for (int i = 0; i < 3; i++) {
            assertThat(bucket.allows(3, 1)).isTrue();
            bucket = bucket.take(1, 3);
        }
        assertThat(bucket.allows(3, 1)).isFalse();
        // a request comes back every 20 s at 3 a minute
        assertThat(bucket.waitMillis(3, 1)).isEqualTo(20_000);
    }

    @Test
    void itRefillsContinuouslyAndNeverAboveTheLimit() {
        MinuteBucket empty = MinuteBucket.full(60, T0).take(60, 60);
        assertThat(empty.at(60, T0 + 999).allows(60, 1)).isFalse();
        assertThat(empty.at(60, T0 + 1000).allows(60, 1)).isTrue();
        assertThat(empty.at(60, T0 + 30_000).level()).isCloseTo(30, within(1e-9));
        assertThat(empty.at(60, T0 + 3_600_000).level()).isEqualTo(60);
    }

    @Test
    void aClockGoingBackRefillsNothingAndKeepsTheStamp() {
        MinuteBucket bucket = MinuteBucket.full(60, T0).take(10, 60);
        MinuteBucket earlier = bucket.at(60, T0 - 5000);
        assertThat(earlier.level()).isEqualTo(50);
        assertThat(earlier.stampMillis()).isEqualTo(T0);
    }

    @Test
    void aLongIdleTimeByALargeLimitDoesNotOverflow() {
        long limit = 10_000_000_000L;
        MinuteBucket bucket = MinuteBucket.full(limit, 0).take(limit, limit);
        // a year later: elapsed times the limit is past Long.MAX_VALUE
        MinuteBucket later = bucket.at(limit, 365L * 24 * 3_600_000);
        assertThat(later.level()).isEqualTo(limit);
    }

    @Test
    void aTakingMayLeaveADebtThatIsPaidBackBeforeTheNextIsAdmitted() {
        MinuteBucket bucket = MinuteBucket.full(1000, T0).take(1500, 1000);
        assertThat(bucket.level()).isEqualTo(-500);
        // even a request of no tokens waits until the debt is paid: 500 tokens at 1000 a minute
        assertThat(bucket.allows(1000, 0)).isFalse();
        assertThat(bucket.waitMillis(1000, 0)).isEqualTo(30_001);
        assertThat(bucket.at(1000, T0 + 30_001).allows(1000, 0)).isTrue();
    }

    @Test
    void anAmountAboveTheLimitNeedsAFullBucketOnly() {
        MinuteBucket full = MinuteBucket.full(100, T0);
        assertThat(full.allows(100, 250)).isTrue();
        MinuteBucket almost = full.take(1, 100);
        assertThat(almost.allows(100, 250)).isFalse();
        assertThat(almost.waitMillis(100, 250)).isEqualTo(600);
    }

    @Test
    void aRefundNeverFillsAboveTheLimit() {
        MinuteBucket bucket = MinuteBucket.full(100, T0).take(10, 100);
        assertThat(bucket.take(-4, 100).level()).isEqualTo(94);
        assertThat(bucket.take(-50, 100).level()).isEqualTo(100);
    }

    @Test
    void theWindowSaysWhatRemainsAndWhenTheBucketIsFullAgain() {
        MinuteBucket bucket = MinuteBucket.full(1000, T0).take(250, 1000);
        LimitStore.Window window = bucket.window(1000);
        assertThat(window).isEqualTo(new LimitStore.Window(1000, 750, 15_000));
        // part of a token remains: none may be taken; in debt: none remains, and the wait is past a minute
        assertThat(MinuteBucket.full(10, T0).take(10, 10).at(10, T0 + 3000).window(10))
                .isEqualTo(new LimitStore.Window(10, 0, 57_000));
        assertThat(MinuteBucket.full(10, T0).take(15, 10).window(10))
                .isEqualTo(new LimitStore.Window(10, 0, 90_000));
    }
}
