package ilb.backend;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LatencyEwmaTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @Test
    void aPeakReplacesTheAverageAtOnce() {
        LatencyEwma ewma = new LatencyEwma(10 * SECOND);
        ewma.observe(10, 0);
        ewma.observe(500, 1);
        assertThat(ewma.cost(1)).isEqualTo(500.0);
    }

    @Test
    void lowerSamplesPullItDownSmoothly() {
        LatencyEwma ewma = new LatencyEwma(10 * SECOND);
        ewma.observe(1000, 0);
        // 10 s later (one decay time) a sample of 0 leaves 1000 * e^-1
        ewma.observe(0, 10 * SECOND);
        assertThat(ewma.cost(10 * SECOND)).isCloseTo(1000 * Math.exp(-1), within(0.001));
    }

    @Test
    void withoutSamplesItDecaysTowardsZero() {
        LatencyEwma ewma = new LatencyEwma(SECOND);
        ewma.observe(1000, 0);
        assertThat(ewma.cost(5 * SECOND)).isLessThan(10);
    }
}
