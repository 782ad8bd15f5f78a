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
        assertThat(profile.prefillNanos(1000, 1)).isNaN();
        assertThat(profile.tpotNanos(1)).isNaN();
        assertThat(profile.serviceNanos()).isNaN();
        assertThat(profile.outputTokens()).isNaN();
        assertThat(profile.ttftError().known()).isFalse();
    }

    @Test
    void prefillScalesWithTheUncachedPromptAboveAFixedCost() {
        // 256 fixed + 768 chars: 10 ms, so 10 ms per 1024 chars
        profile.prefilled(10_000_000, 768, 1, 0);

        assertThat(profile.prefillNanos(768, 1)).isEqualTo(10_000_000);
        assertThat(profile.prefillNanos(1792, 1)).isEqualTo(20_000_000);
        // an empty prompt still costs the fixed part
        assertThat(profile.prefillNanos(0, 1)).isEqualTo(2_500_000);
    }

    @Test
    void aLoadNeverMeasuredIsAnsweredFromTheNearestOneMeasured() {
        profile.decoded(4e6, 1, 0);
        profile.decoded(12e6, 4, 0);

        assertThat(profile.tpotNanos(1)).isEqualTo(4e6);
        assertThat(profile.tpotNanos(7)).isEqualTo(12e6);
        // 2-3 is as near to 1 as to 4-7: the lighter load answers
        assertThat(profile.tpotNanos(3)).isEqualTo(4e6);
        assertThat(profile.tpotNanos(12)).isEqualTo(12e6);
        assertThat(profile.tpotNanos(1000)).isEqualTo(12e6);
    }

    @Test
    void averagesFollowAChangeAndOldSamplesWeighLess() {
        profile.served(100_000_000, 10, 0);
        profile.served(300_000_000, 30, 0);
        double sameInstant = profile.serviceNanos();
        // each sample moves the average at least a tenth of the way
        assertThat(sameInstant).isCloseTo(120_000_000, within(1.0));

        ServiceProfile later = new ServiceProfile();
        later.served(100_000_000, 10, 0);
        later.served(300_000_000, 30, 60 * SECOND);
        // a minute on, the old sample is mostly forgotten
        assertThat(later.serviceNanos()).isGreaterThan(270_000_000);
        assertThat(later.outputTokens()).isGreaterThan(27);
    }

    @Test
    void predictionErrorsBecomeADistributionAfterAFewAndGoToTheSink() {
        List<Double> sunk = new ArrayList<>();
        profile.onTtftError(sunk::add);
        for (int i = 0; i < 4; i++) {
            profile.ttftMissed(2, i * SECOND);
        }
        assertThat(profile.ttftError().known()).isFalse();

        profile.ttftMissed(2, 4 * SECOND);

        assertThat(profile.ttftError().bias()).isCloseTo(Math.log(2), within(1e-9));
        assertThat(profile.ttftError().spread()).isCloseTo(0, within(1e-6));
        assertThat(sunk).containsExactly(2.0, 2.0, 2.0, 2.0, 2.0);
        assertThat(profile.tpotError().known()).isFalse();
    }

    @Test
    void ratiosThatMeanNothingAreLeftOut() {
        for (int i = 0; i < 5; i++) {
            profile.tpotMissed(0, 0);
            profile.tpotMissed(Double.POSITIVE_INFINITY, 0);
            profile.tpotMissed(Double.NaN, 0);
        }

        assertThat(profile.tpotError().known()).isFalse();
    }
}
