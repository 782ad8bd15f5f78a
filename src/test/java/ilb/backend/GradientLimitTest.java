package ilb.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class GradientLimitTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    private long now = 1_000 * MS;

    /** One window of samples: as many as the limit (at least 4), each sent with {@code inFlight} in flight. */
    private void window(GradientLimit limit, long latencyMillis, int inFlight) {
        int samples = Math.max(GradientLimit.MIN_WINDOW, limit.limit());
        for (int i = 0; i < samples; i++) {
            now += 10 * MS;
            limit.sample(latencyMillis * MS, Math.min(inFlight, limit.limit()), false, now);
        }
    }

    @Test
    void startsAtItsInitialLimitWithinTheCeiling() {
        assertThat(new GradientLimit(4, 64).limit()).isEqualTo(4);
        assertThat(new GradientLimit(4, 2).limit()).isEqualTo(2);
        assertThat(new GradientLimit(0, 2).limit()).isEqualTo(1);
    }

    @Test
    void growsByOneAWindowWhileLatencyIsFlatAndTheLimitIsUsed() {
        GradientLimit limit = new GradientLimit(4, 64);
        window(limit, 100, 4);
        assertThat(limit.limit()).isEqualTo(5);
        window(limit, 100, 5);
        assertThat(limit.limit()).isEqualTo(6);
        window(limit, 110, 6);
        assertThat(limit.limit()).isEqualTo(7);
    }

    @Test
    void aLimitNobodyTestsDoesNotGrow() {
        GradientLimit limit = new GradientLimit(4, 64);
        for (int i = 0; i < 10; i++) {
            window(limit, 100, 2);
        }
        assertThat(limit.limit()).isEqualTo(4);
    }

    @Test
    void neverGrowsBeyondItsCeilingNorWhatItMayGrowTo() {
        GradientLimit limit = new GradientLimit(4, 6);
        for (int i = 0; i < 10; i++) {
            window(limit, 100, 64);
        }
        assertThat(limit.limit()).isEqualTo(6);

        GradientLimit held = new GradientLimit(4, 64);
        held.growUpTo(5);
        for (int i = 0; i < 10; i++) {
            window(held, 100, 64);
        }
        assertThat(held.limit()).isEqualTo(5);
    }

    @Test
    void latencyFarOverTheBaselineHalvesTheLimitAWindowDownToOne() {
        GradientLimit limit = new GradientLimit(4, 64);
        window(limit, 100, 4);
        window(limit, 100, 5);
        window(limit, 100, 6);
        assertThat(limit.limit()).isEqualTo(7);
        window(limit, 400, 7);
        assertThat(limit.limit()).isEqualTo(3);
        window(limit, 400, 3);
        assertThat(limit.limit()).isEqualTo(1);
        window(limit, 400, 1);
        assertThat(limit.limit()).isEqualTo(1);
    }

    @Test
    void latencyAModerateShareOverTheBaselineHoldsTheLimit() {
        GradientLimit limit = new GradientLimit(4, 64);
        window(limit, 100, 4);
        assertThat(limit.limit()).isEqualTo(5);
        window(limit, 140, 5);
        window(limit, 140, 5);
        assertThat(limit.limit()).isEqualTo(5);
    }

    @Test
    void failuresCountAsSlowSamplesHoweverFastTheyFailed() {
        GradientLimit limit = new GradientLimit(4, 64);
        window(limit, 100, 4);
        assertThat(limit.limit()).isEqualTo(5);
        for (int i = 0; i < 5; i++) {
            now += MS;
            limit.sample(MS, 5, true, now);
        }
        assertThat(limit.limit()).isEqualTo(3);
    }

    @Test
    void samplesSentUnderAHigherLimitAreNotJudgedAgain() {
        GradientLimit limit = new GradientLimit(4, 64);
        window(limit, 100, 4);
        limit.moveTo(2);
        for (int i = 0; i < 20; i++) {
            now += MS;
            limit.sample(1000 * MS, 5, false, now);
        }
        assertThat(limit.limit()).isEqualTo(2);
    }

    @Test
    void aFasterWindowLowersTheBaselineAtOnceASlowerOneRaisesItSlowly() {
        GradientLimit limit = new GradientLimit(4, 64);
        window(limit, 100, 4);
        assertThat(limit.baselineNanos()).isEqualTo(100.0 * MS);
        window(limit, 50, 4);
        assertThat(limit.baselineNanos()).isEqualTo(50.0 * MS);
        window(limit, 200, 4);
        assertThat(limit.baselineNanos()).isBetween(50.0 * MS, 51.0 * MS);
        now += GradientLimit.BASELINE_RISE_NANOS;
        window(limit, 200, 4);
        // one time constant later, about 63 % of the way
        assertThat(limit.baselineNanos()).isBetween(140.0 * MS, 150.0 * MS);
    }

    @Test
    void aServerSlowerForGoodBecomesTheNewBaselineAndTheLimitGrowsAgain() {
        GradientLimit limit = new GradientLimit(4, 64);
        window(limit, 100, 4);
        window(limit, 400, 5);
        assertThat(limit.limit()).isLessThan(4);
        for (int i = 0; i < 60 && limit.limit() < 6; i++) {
            now += TimeUnit.SECONDS.toNanos(5);
            window(limit, 400, 64);
        }
        assertThat(limit.limit()).isGreaterThanOrEqualTo(6);
    }

    @Test
    void aSlowerWindowWhileTheServerSaysNothingWaitsIsItsNewBaselineNotACut() {
        GradientLimit limit = new GradientLimit(4, 64);
        window(limit, 100, 4);
        int before = limit.limit();
        limit.serverQueueEmpty(true);
        window(limit, 400, 4);
        assertThat(limit.limit()).isEqualTo(before);
        assertThat(limit.baselineNanos()).isEqualTo(400.0 * MS);
        assertThat(limit.latencyRising()).isFalse();
        // and back: a faster window lowers the baseline as always
        window(limit, 100, 4);
        assertThat(limit.baselineNanos()).isEqualTo(100.0 * MS);
        // queueing the server does report is still cut
        limit.serverQueueEmpty(false);
        window(limit, 400, 4);
        assertThat(limit.limit()).isLessThan(before);
    }

    @Test
    void underMoreLoadThanItsBatchTakesTheLimitSettlesNearTheBatch() {
        BatchServerModel server = new BatchServerModel(6, 180);
        GradientLimit limit = new GradientLimit(4, 256);
        server.run(limit, 60_000, 0, t -> { });
        // without the server's metrics, latency alone: the batch, or a few over it, never under
        assertThat(limit.limit()).isBetween(6, 8);
    }
}
