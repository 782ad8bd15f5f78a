package ilb.batch;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AimdLimitTest {

    @Test
    void growsByAboutOneForEachLimitsWorthOfJobsDone() {
        AimdLimit limit = new AimdLimit(4, 100, 1);
        for (int i = 0; i < 4; i++) {
            limit.onDone();
        }
        assertThat(limit.current()).isEqualTo(4);
        limit.onDone();
        assertThat(limit.current()).isEqualTo(5);
    }

    @Test
    void neverGrowsPastItsMaximum() {
        AimdLimit limit = new AimdLimit(4, 6, 1);
        for (int i = 0; i < 1000; i++) {
            limit.onDone();
        }
        assertThat(limit.current()).isEqualTo(6);
    }

    @Test
    void shrinksByAQuarterOncePerIntervalAndNeverBelowOne() {
        AimdLimit limit = new AimdLimit(40, 100, 1_000_000);
        long now = System.nanoTime();
        limit.onBackoff(now);
        assertThat(limit.current()).isEqualTo(30);
        // the same crowded moment again: counted once
        limit.onBackoff(now + 1);
        assertThat(limit.current()).isEqualTo(30);
        for (int i = 1; i <= 50; i++) {
            limit.onBackoff(now + i * 1_000_000L);
        }
        assertThat(limit.current()).isEqualTo(1);
    }
}
