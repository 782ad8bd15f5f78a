package ilb.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class JobDeadlineTest {

    private static final long S = TimeUnit.SECONDS.toNanos(1);
    // the defaults: 5 min a try, polls 10 min apart at most, 2 min to deliver an outcome
    private final JobDeadline deadline = JobDeadline.of(300_000, 600_000, 120_000);

    @Test
    void aTryEarlyInItsPollHasItsOwnLimit() {
        long start = 1_000 * S;
        assertThat(deadline.at(start, start)).isEqualTo(start + 300 * S);
        assertThat(deadline.at(start + 100 * S, start)).isEqualTo(start + 400 * S);
    }

    @Test
    void aTryLateInItsPollEndsInTimeForItsOutcomeToReachKafkaBeforeTheNextPoll() {
        long start = 1_000 * S;
        // 600 s - 120 s delivery - 15 s margin
        assertThat(deadline.at(start + 200 * S, start)).isEqualTo(start + 465 * S);
        assertThat(deadline.at(start + 240 * S, start)).isEqualTo(start + 465 * S);
    }

    @Test
    void nanoTimeValuesAreComparedByTheirDifferenceSoThatTheyMayWrap() {
        long start = Long.MAX_VALUE - 10 * S;
        long late = deadline.at(start + 200 * S, start);
        assertThat(late).isEqualTo(start + 465 * S).isNegative();
        assertThat(deadline.at(start, start)).isEqualTo(start + 300 * S);
    }

    @Test
    void settingsThatLeaveALateTryNoTimeAreRefused() {
        // a try started at 240 s (maxRunMillis) would have to end by 600 - 120 - 15 s: room enough
        new BatchIntake.Settings(4, 8, 1000, 200, 240_000, 300_000, 600_000, 120_000);
        assertThatThrownBy(() -> new BatchIntake.Settings(4, 8, 1000, 200, 240_000, 300_000, 300_000, 120_000))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxPollIntervalMs");
    }
}
