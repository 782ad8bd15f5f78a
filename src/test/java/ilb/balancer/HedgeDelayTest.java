package ilb.balancer;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The hedge delay, learned from a backend's answer times with explicit time: no servers, no clock. */
class HedgeDelayTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private final HedgeDelay delay = new HedgeDelay(100 * MS);

    @Test
    void withoutAnswersTheFloorIsTheDelay() {
        assertThat(delay.nanos(0)).isEqualTo(100 * MS);
    }

    @Test
    void isTwiceTheNinetyNinthPercentileOfRecentAnswers() {
        // 1..200 ms: the 99th percentile of 200 is the 198th, 198 ms
        for (int ms = 1; ms <= 200; ms++) {
            delay.answered(ms * MS, ms * MS);
        }

        assertThat(delay.nanos(200 * MS)).isEqualTo(396 * MS);
    }

    @Test
    void neverFallsBelowTheFloor() {
        for (int i = 0; i < 50; i++) {
            delay.answered(10 * MS, i);
        }

        assertThat(delay.nanos(50)).isEqualTo(100 * MS);
    }

    @Test
    void onlyTheLastAnswersCount() {
        for (int i = 0; i < HedgeDelay.SAMPLES; i++) {
            delay.answered(1000 * MS, i);
        }
        // as many fast answers again push every slow one out of the window
        for (int i = 0; i < HedgeDelay.SAMPLES; i++) {
            delay.answered(80 * MS, HedgeDelay.SAMPLES + i);
        }

        assertThat(delay.nanos(2 * HedgeDelay.SAMPLES)).isEqualTo(160 * MS);
    }

    @Test
    void answersOlderThanTheWindowAreForgotten() {
        delay.answered(1000 * MS, 0);
        delay.answered(80 * MS, HedgeDelay.WINDOW_NANOS / 2);

        assertThat(delay.nanos(HedgeDelay.WINDOW_NANOS)).isEqualTo(2000 * MS);
        // the slow answer has left the window, the fast one not yet
        assertThat(delay.nanos(HedgeDelay.WINDOW_NANOS + 1)).isEqualTo(160 * MS);
        // and then neither is left
        assertThat(delay.nanos(2 * HedgeDelay.WINDOW_NANOS)).isEqualTo(100 * MS);
    }

    @Test
    void isWorkedOutAgainWhenASixteenthOfTheWindowIsNew() {
        for (int i = 0; i < HedgeDelay.SAMPLES; i++) {
            delay.answered(100 * MS, i);
        }
        assertThat(delay.nanos(HedgeDelay.SAMPLES)).isEqualTo(200 * MS);
        // 16 slow answers are a sixteenth: not yet; one more is
        for (int i = 0; i < HedgeDelay.SAMPLES / 16; i++) {
            delay.answered(300 * MS, HedgeDelay.SAMPLES + i);
        }
        assertThat(delay.nanos(2 * HedgeDelay.SAMPLES)).isEqualTo(200 * MS);
        delay.answered(300 * MS, 2 * HedgeDelay.SAMPLES);
        assertThat(delay.nanos(2 * HedgeDelay.SAMPLES)).isEqualTo(600 * MS);
    }
}
