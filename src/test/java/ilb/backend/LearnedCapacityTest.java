package ilb.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class LearnedCapacityTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long FRESH = 1000 * MS;

    private long now = 1_000 * MS;
    private final LearnedCapacity capacity = new LearnedCapacity("gpu-0", 64);

    private boolean scrape(double waiting, double running, double kvCacheUsage) {
        return capacity.scraped(new BackendTelemetry(now, waiting, running, kvCacheUsage, Double.NaN, Double.NaN,
                Double.NaN), FRESH);
    }

    /** Windows of samples at flat latency, each sent with the limit in flight: the gradient would grow. */
    private void flatWindowsAtTheLimit(int windows) {
        for (int w = 0; w < windows; w++) {
            int samples = Math.max(GradientLimit.MIN_WINDOW, capacity.limit());
            for (int i = 0; i < samples; i++) {
                now += MS;
                capacity.sample(100 * MS, capacity.limit(), false, now);
            }
        }
    }

    @Test
    void startsSmallButNotAtOne() {
        assertThat(capacity.limit()).isEqualTo(LearnedCapacity.INITIAL).isGreaterThan(1);
        assertThat(new LearnedCapacity("cpu-0", 2).limit()).isEqualTo(2);
    }

    @Test
    void requestsWaitingAtTheServerTellItsBatchSizeAndTheLimitFallsToItAtOnce() {
        assertThat(scrape(1, 3, 0.1)).isFalse();
        assertThat(capacity.limit()).isEqualTo(3);
    }

    @Test
    void aLargerBatchFoundFullRaisesTheLimitHalfwayPerScrape() {
        assertThat(scrape(2, 10, 0.1)).isTrue();
        assertThat(capacity.limit()).isEqualTo(7);
        assertThat(scrape(2, 10, 0.1)).isTrue();
        assertThat(capacity.limit()).isEqualTo(9);
        assertThat(scrape(2, 10, 0.1)).isTrue();
        assertThat(capacity.limit()).isEqualTo(10);
        assertThat(scrape(2, 10, 0.1)).isFalse();
        assertThat(capacity.limit()).isEqualTo(10);
    }

    @Test
    void theBatchSizeFoundCapsGrowthForAWhileThenTheLimitProbesOneMore() {
        scrape(1, 3, 0.1);
        flatWindowsAtTheLimit(5);
        assertThat(capacity.limit()).isEqualTo(3);

        assertThat(scrape(0, 3, 0.1)).isFalse();
        assertThat(capacity.limit()).isEqualTo(3);

        now += LearnedCapacity.HOLD_NANOS;
        assertThat(scrape(0, 3, 0.1)).isTrue();
        assertThat(capacity.limit()).isEqualTo(4);
        // the server is full again at 3: back at once
        scrape(1, 3, 0.1);
        assertThat(capacity.limit()).isEqualTo(3);
    }

    @Test
    void whileTheLimitProbesPastTheBatchItsServerShowedItsPlacesStayThatBatch() {
        assertThat(capacity.places()).isEqualTo(LearnedCapacity.INITIAL);
        scrape(1, 3, 0.1);
        assertThat(capacity.places()).isEqualTo(3);

        now += LearnedCapacity.HOLD_NANOS;
        scrape(0, 3, 0.1);
        assertThat(capacity.limit()).isEqualTo(4);
        assertThat(capacity.places()).isEqualTo(3);
    }

    @Test
    void aServerRunningMoreThanTheBatchItShowedWithNothingWaitingHasOutgrownIt() {
        scrape(1, 3, 0.1);
        now += LearnedCapacity.HOLD_NANOS;
        scrape(0, 3, 0.1);
        assertThat(capacity.places()).isEqualTo(3);

        scrape(0, 4, 0.1);
        assertThat(capacity.places()).isEqualTo(capacity.limit()).isGreaterThanOrEqualTo(4);
    }

    @Test
    void eachProbeThatFindsTheSameBatchAgainDoublesTheHoldAndADifferentBatchStartsItOver() {
        scrape(1, 3, 0.1);
        now += LearnedCapacity.HOLD_NANOS;
        assertThat(scrape(0, 3, 0.1)).isTrue();
        scrape(1, 3, 0.1);
        assertThat(capacity.limit()).isEqualTo(3);

        // held twice as long now
        now += LearnedCapacity.HOLD_NANOS;
        assertThat(scrape(0, 3, 0.1)).isFalse();
        now += LearnedCapacity.HOLD_NANOS;
        assertThat(scrape(0, 3, 0.1)).isTrue();

        // a batch of 4 found: a new batch, the first hold again
        scrape(1, 4, 0.1);
        now += LearnedCapacity.HOLD_NANOS;
        assertThat(scrape(0, 4, 0.1)).isTrue();
        assertThat(capacity.limit()).isEqualTo(5);
    }

    @Test
    void latencyFallingClearlyBelowItsNormEndsTheHold() {
        scrape(1, 3, 0.1);
        flatWindowsAtTheLimit(2);
        assertThat(scrape(0, 3, 0.1)).isFalse();
        // the server turned twice as fast: it may take more than it did
        for (int i = 0; i < GradientLimit.MIN_WINDOW; i++) {
            now += MS;
            capacity.sample(50 * MS, 3, false, now);
        }
        assertThat(scrape(0, 3, 0.1)).isTrue();
        assertThat(capacity.limit()).isEqualTo(4);
    }

    @Test
    void aLimitBelowTheBatchFoundMayGrowBackToIt() {
        scrape(1, 6, 0.1);
        capacity.scraped(new BackendTelemetry(now, 1, 2, 0.1, Double.NaN, Double.NaN, Double.NaN), FRESH);
        assertThat(capacity.limit()).isEqualTo(2);
        scrape(1, 6, 0.1);
        assertThat(capacity.limit()).isEqualTo(4);
        flatWindowsAtTheLimit(10);
        assertThat(capacity.limit()).isEqualTo(6);
    }

    @Test
    void aKvCacheNearFullStopsGrowthWhileItsScrapeIsFresh() {
        scrape(0, 4, 0.95);
        flatWindowsAtTheLimit(5);
        assertThat(capacity.limit()).isEqualTo(4);

        now += 2 * FRESH;
        flatWindowsAtTheLimit(1);
        assertThat(capacity.limit()).isEqualTo(5);
    }

    @Test
    void aServerRunningTheLimitWithNothingWaitingAndRoomInItsKvCacheLetsItGrowAStepPerScrape() {
        assertThat(scrape(0, 4, 0.5)).isTrue();
        assertThat(capacity.limit()).isEqualTo(5);
        assertThat(scrape(0, 5, Double.NaN)).isTrue();
        assertThat(capacity.limit()).isEqualTo(6);
        // not all of the limit in use: nothing to learn
        assertThat(scrape(0, 3, 0.5)).isFalse();
        assertThat(capacity.limit()).isEqualTo(6);
    }

    @Test
    void latencyRisingKeepsTheServersRoomFromRaisingTheLimit() {
        flatWindowsAtTheLimit(1);
        assertThat(capacity.limit()).isEqualTo(5);
        for (int i = 0; i < 5; i++) {
            now += MS;
            capacity.sample(400 * MS, 5, false, now);
        }
        assertThat(capacity.limit()).isEqualTo(2);
        assertThat(scrape(0, 2, 0.1)).isFalse();
        assertThat(capacity.limit()).isEqualTo(2);
    }

    @Test
    void aServerThatPublishesNoQueueLeavesTheLimitToLatency() {
        assertThat(scrape(Double.NaN, Double.NaN, Double.NaN)).isFalse();
        assertThat(capacity.limit()).isEqualTo(4);
        flatWindowsAtTheLimit(1);
        assertThat(capacity.limit()).isEqualTo(5);
    }

    @Test
    void undersLoadTheServersMetricsGiveItsExactBatchSize() {
        BatchServerModel server = new BatchServerModel(3, 180);
        server.run(capacity, 5_000, 200, at -> scrape(server, at));
        assertThat(capacity.limit()).isEqualTo(3);
        server.run(capacity, 60_000, 200, at -> scrape(server, at));
        assertThat(capacity.limit()).isEqualTo(3);
    }

    @Test
    void noisyLatencyDoesNotHideTheBatchSizeTheServersMetricsGive() {
        BatchServerModel server = new BatchServerModel(6, 180).noise(0.4, 7);
        server.run(capacity, 60_000, 200, at -> scrape(server, at));
        int[] seen = new int[65];
        for (int i = 0; i < 100; i++) {
            server.run(capacity, 100, 200, at -> scrape(server, at));
            seen[capacity.limit()]++;
        }
        // at its batch size most of the time: below it now and then after a slow window, above it when probing
        assertThat(seen[6]).isGreaterThan(50);
    }

    @Test
    void aServerThatTurnsFourTimesSlowerWithNothingWaitingKeepsItsBatch() {
        BatchServerModel server = new BatchServerModel(6, 180);
        server.run(capacity, 20_000, 200, at -> scrape(server, at));
        assertThat(capacity.limit()).isEqualTo(6);

        // its batch is as large as before: a smaller limit would only leave it idle; above it only while it probes,
        // until the next scrape
        server.slowFactor(4);
        int[] slow = limitsOver(server, 30_000, 200);
        assertThat(slow[0]).isEqualTo(6);
        assertThat(slow[1]).isBetween(7, 8);

        server.slowFactor(1);
        int[] recovered = limitsOver(server, 30_000, 200);
        assertThat(recovered[0]).isEqualTo(6);
        assertThat(recovered[1]).isBetween(7, 8);
    }

    @Test
    void withoutTheServersMetricsLatencyLowersASlowerServersLimitUntilItsSpeedIsTheNormThenRaisesIt() {
        BatchServerModel server = new BatchServerModel(6, 180);
        server.run(capacity, 20_000, 0, at -> { });
        int before = capacity.limit();
        assertThat(before).isBetween(5, 8);

        server.slowFactor(4);
        assertThat(limitsOver(server, 5_000, 0)[0]).isLessThan(before);
        server.slowFactor(1);
        server.run(capacity, 10_000, 0, at -> { });
        assertThat(capacity.limit()).isGreaterThanOrEqualTo(before - 1);
    }

    /** Runs the server for {@code millis} of its time: the lowest and the highest limit seen at each 100 ms. */
    private int[] limitsOver(BatchServerModel server, long millis, long scrapeMillis) {
        int lowest = capacity.limit();
        int highest = capacity.limit();
        for (long t = 0; t < millis; t += 100) {
            server.run(capacity, 100, scrapeMillis, at -> scrape(server, at));
            lowest = Math.min(lowest, capacity.limit());
            highest = Math.max(highest, capacity.limit());
        }
        return new int[] {lowest, highest};
    }

    private void scrape(BatchServerModel server, long at) {
        capacity.scraped(server.telemetry(capacity.limit()), FRESH);
    }
}
