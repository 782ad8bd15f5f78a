package ilb.backend;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** A backend's measurements, with time driven by the test. */
class ServiceProfileTest {

    private static final long SECOND = 1_000_000_000L;

    private final ServiceProfile profile = new ServiceProfile();

    @Test
    void nothingIsKnownBeforeTheFirstSample() {
        assertThat(profile.prefillNanos(1000, 1, 0)).isNaN();
        assertThat(profile.tpotNanos(1, 0)).isNaN();
        assertThat(profile.serviceNanos(0)).isNaN();
        assertThat(profile.outputTokens(0)).isNaN();
        assertThat(profile.ttftError(4 * SECOND).known()).isFalse();
    }

    @Test
    void prefillScalesWithTheUncachedPromptAboveAFixedCost() {
        // 256 fixed + 768 chars: 10 ms, so 10 ms per 1024 chars
        profile.prefilled(10_000_000, 768, 1, 0);

        assertThat(profile.prefillNanos(768, 1, 0)).isEqualTo(10_000_000);
        assertThat(profile.prefillNanos(1792, 1, 0)).isEqualTo(20_000_000);
        // an empty prompt still costs the fixed part
        assertThat(profile.prefillNanos(0, 1, 0)).isEqualTo(2_500_000);
    }

    @Test
    void aLoadNeverMeasuredIsAnsweredFromTheNearestOneMeasured() {
        profile.decoded(4e6, 1, 0);
        profile.decoded(12e6, 4, 0);

        assertThat(profile.tpotNanos(1, 0)).isEqualTo(4e6);
        assertThat(profile.tpotNanos(7, 0)).isEqualTo(12e6);
        // 2-3 is as near to 1 as to 4-7: the lighter load answers
        assertThat(profile.tpotNanos(3, 0)).isEqualTo(4e6);
        assertThat(profile.tpotNanos(12, 0)).isEqualTo(12e6);
        assertThat(profile.tpotNanos(1000, 0)).isEqualTo(12e6);
    }

    @Test
    void averagesFollowAChangeAndForgetWhatWasNotMeasuredLately() {
        profile.served(100_000_000, 10, 0);
        profile.served(300_000_000, 30, 0);
        // each sample moves the average at least a tenth of the way
        assertThat(profile.serviceNanos(0)).isCloseTo(120_000_000, within(1.0));

        // ten seconds on, what came before weighs less
        profile.served(300_000_000, 30, 10 * SECOND);
        assertThat(profile.serviceNanos(10 * SECOND)).isBetween(150e6, 200e6);
        assertThat(profile.outputTokens(10 * SECOND)).isBetween(15.0, 20.0);

        // no sample for more than 15 s: unknown, and the next one starts afresh
        assertThat(profile.serviceNanos(26 * SECOND)).isNaN();
        profile.served(50_000_000, 5, 30 * SECOND);
        assertThat(profile.serviceNanos(30 * SECOND)).isEqualTo(50_000_000);
    }

    @Test
    void aLoadMeasuredLongAgoGivesWayToOneMeasuredLately() {
        profile.decoded(4e6, 1, 0);
        profile.decoded(12e6, 8, 20 * SECOND);

        assertThat(profile.tpotNanos(1, 20 * SECOND)).isEqualTo(12e6);
    }

    @Test
    void predictionErrorsBecomeADistributionAfterAFewAndGoToTheSink() {
        List<Double> sunk = new ArrayList<>();
        profile.onTtftError(sunk::add);
        for (int i = 0; i < 4; i++) {
            profile.ttftMissed(2, i * SECOND);
        }
        assertThat(profile.ttftError(4 * SECOND).known()).isFalse();

        profile.ttftMissed(2, 4 * SECOND);

        assertThat(profile.ttftError(4 * SECOND).bias()).isCloseTo(Math.log(2), within(1e-9));
        assertThat(profile.ttftError(4 * SECOND).spread()).isCloseTo(0, within(1e-6));
        assertThat(sunk).containsExactly(2.0, 2.0, 2.0, 2.0, 2.0);
        assertThat(profile.tpotError(0).known()).isFalse();
    }

    @Test
    void ratiosThatMeanNothingAreLeftOut() {
        for (int i = 0; i < 5; i++) {
            profile.tpotMissed(0, 0);
            profile.tpotMissed(Double.POSITIVE_INFINITY, 0);
            profile.tpotMissed(Double.NaN, 0);
        }

        assertThat(profile.tpotError(0).known()).isFalse();
    }
}
