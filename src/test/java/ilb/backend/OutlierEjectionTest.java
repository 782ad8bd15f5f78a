package ilb.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class OutlierEjectionTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @Test
    void failuresInARowEjectAndASuccessBreaksTheRun() {
        OutlierEjection ejection = new OutlierEjection(3, 10_000, 300_000);
        assertThat(ejection.failed("HTTP 502", 0)).isZero();
        assertThat(ejection.failed("HTTP 502", 0)).isZero();
        ejection.succeeded();
        assertThat(ejection.failed("HTTP 502", 0)).isZero();
        assertThat(ejection.failed("HTTP 502", 0)).isZero();
        assertThat(ejection.failed("reset", 0)).isEqualTo(10_000);
        assertThat(ejection.ejected(9 * SECOND)).isTrue();
        assertThat(ejection.remainingMillis(9 * SECOND)).isEqualTo(1000);
        assertThat(ejection.reason()).isEqualTo("3 failures in a row, the last: reset");
        assertThat(ejection.ejected(10 * SECOND)).isFalse();
    }

    @Test
    void eachEjectionInARowLastsTwiceAsLongUpToTheMaximum() {
        OutlierEjection ejection = new OutlierEjection(1, 10_000, 35_000);
        long now = 0;
        assertThat(ejection.failed("x", now)).isEqualTo(10_000);
        now += 10 * SECOND;
        assertThat(ejection.failed("x", now)).isEqualTo(20_000);
        now += 20 * SECOND;
        assertThat(ejection.failed("x", now)).isEqualTo(35_000);
        now += 35 * SECOND;
        assertThat(ejection.failed("x", now)).isEqualTo(35_000);
    }

    @Test
    void ejectionsInARowForHoursStayAtTheMaximum() {
        OutlierEjection ejection = new OutlierEjection(1, 10_000, 300_000);
        long now = 0;
        for (int i = 0; i < 100; i++) {
            long millis = ejection.failed("x", now);
            assertThat(millis).as("ejection %d", i).isBetween(10_000L, 300_000L);
            now += TimeUnit.MILLISECONDS.toNanos(millis);
        }
        assertThat(ejection.failed("x", now)).isEqualTo(300_000);
        // and five base intervals served well bring it down by five doublings, as from the maximum
        now += TimeUnit.MILLISECONDS.toNanos(300_000) + 50 * SECOND;
        assertThat(ejection.failed("x", now)).isEqualTo(10_000);
    }

    @Test
    void timeServedWithoutEjectionEarnsTheDoublingsBack() {
        OutlierEjection ejection = new OutlierEjection(1, 10_000, 300_000);
        ejection.failed("x", 0);
        ejection.failed("x", 10 * SECOND);
        // back at 30 s; 20 s (two base intervals) served well take two doublings off
        assertThat(ejection.failed("x", 50 * SECOND)).isEqualTo(10_000);
    }

    @Test
    void failuresWhileEjectedDoNotCountAndAResetForgivesAll() {
        OutlierEjection ejection = new OutlierEjection(1, 10_000, 300_000);
        ejection.failed("x", 0);
        assertThat(ejection.failed("x", SECOND)).isZero();
        ejection.reset(2 * SECOND);
        assertThat(ejection.ejected(2 * SECOND)).isFalse();
        assertThat(ejection.failed("x", 3 * SECOND)).isEqualTo(10_000);
    }

    @Test
    void zeroFailuresTurnsEjectionOff() {
        OutlierEjection ejection = new OutlierEjection(0, 10_000, 300_000);
        for (int i = 0; i < 100; i++) {
            assertThat(ejection.failed("x", 0)).isZero();
        }
        assertThat(ejection.ejected(0)).isFalse();
    }
}
