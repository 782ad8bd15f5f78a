package ilb.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** The throttle's decisions, on a clock the test moves. */
class LoginThrottleTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000_000L);

    private LoginThrottle throttle(int failuresAllowed, double perSecond) {
        return new LoginThrottle(failuresAllowed, Duration.ofSeconds(2), perSecond, now::get);
    }

    private void advance(Duration duration) {
        now.addAndGet(duration.toNanos());
    }

    @Test
    void anAddressHasAFewAttemptsThenWaitsTwiceAsLongAfterEachFurtherFailure() {
        LoginThrottle throttle = throttle(3, 100);

        for (int attempt = 1; attempt <= 3; attempt++) {
            assertThat(throttle.admit("10.0.0.1").allowed()).as("attempt %d", attempt).isTrue();
        }
        LoginThrottle.Decision refused = throttle.admit("10.0.0.1");
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.reason()).isEqualTo(LoginThrottle.Reason.ADDRESS);
        assertThat(refused.retryAfterSeconds()).isEqualTo(2);
        assertThat(refused.firstInAWhile()).isTrue();
        assertThat(throttle.admit("10.0.0.1").firstInAWhile()).isFalse();
        // another address is not held up by this one
        assertThat(throttle.admit("10.0.0.2").allowed()).isTrue();

        advance(Duration.ofSeconds(2));
        assertThat(throttle.admit("10.0.0.1").allowed()).isTrue();
        assertThat(throttle.admit("10.0.0.1").retryAfterSeconds()).isEqualTo(4);
        advance(Duration.ofSeconds(4));
        assertThat(throttle.admit("10.0.0.1").allowed()).isTrue();
        assertThat(throttle.admit("10.0.0.1").retryAfterSeconds()).isEqualTo(8);
    }

    @Test
    void theWaitGrowsNoLongerThanTheMaximum() {
        LoginThrottle throttle = throttle(1, 1000);
        for (int failure = 0; failure < 80; failure++) {
            assertThat(throttle.admit("10.0.0.1").allowed()).as("failure %d", failure).isTrue();
            // past its wait, but not quiet for long enough after it to be forgotten
            advance(LoginThrottle.MAX_BACKOFF);
        }
        assertThat(throttle.admit("10.0.0.1").allowed()).isTrue();
        assertThat(throttle.admit("10.0.0.1").retryAfterSeconds()).isEqualTo(LoginThrottle.MAX_BACKOFF.toSeconds());
    }

    @Test
    void aRightPasswordForgivesTheAddressItsFailures() {
        LoginThrottle throttle = throttle(3, 100);
        throttle.admit("10.0.0.1");
        throttle.admit("10.0.0.1");
        throttle.admit("10.0.0.1");
        throttle.succeeded("10.0.0.1");

        for (int attempt = 1; attempt <= 3; attempt++) {
            assertThat(throttle.admit("10.0.0.1").allowed()).as("attempt %d", attempt).isTrue();
        }
        assertThat(throttle.admit("10.0.0.1").allowed()).isFalse();
    }

    @Test
    void anAddressQuietForTheLongestWaitIsForgotten() {
        LoginThrottle throttle = throttle(2, 100);
        throttle.admit("10.0.0.1");
        throttle.admit("10.0.0.1");
        assertThat(throttle.admit("10.0.0.1").allowed()).isFalse();

        // its wait of 2 s, then the longest wait in quiet
        advance(LoginThrottle.MAX_BACKOFF.plusSeconds(2));
        assertThat(throttle.admit("10.0.0.1").allowed()).isTrue();
        assertThat(throttle.admit("10.0.0.1").allowed()).isTrue();
        LoginThrottle.Decision again = throttle.admit("10.0.0.1");
        assertThat(again.allowed()).isFalse();
        assertThat(again.firstInAWhile()).as("forgotten, so worth a line in the log again").isTrue();
        assertThat(again.retryAfterSeconds()).isEqualTo(2);
    }

    @Test
    void allAddressesTogetherGetSoManyVerificationsASecond() {
        LoginThrottle throttle = throttle(1000, 4);
        for (int address = 1; address <= 4; address++) {
            assertThat(throttle.admit("10.0.0." + address).allowed()).isTrue();
        }
        LoginThrottle.Decision refused = throttle.admit("10.0.0.5");
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.reason()).isEqualTo(LoginThrottle.Reason.ALL);
        assertThat(refused.retryAfterSeconds()).isEqualTo(1);
        assertThat(refused.firstInAWhile()).isTrue();
        assertThat(throttle.admit("10.0.0.6").firstInAWhile()).isFalse();

        advance(Duration.ofMillis(250));
        assertThat(throttle.admit("10.0.0.5").allowed()).isTrue();
        assertThat(throttle.admit("10.0.0.7").allowed()).isFalse();
        // idle, the budget fills up to one second's worth, no more
        advance(Duration.ofMinutes(1));
        for (int address = 1; address <= 4; address++) {
            assertThat(throttle.admit("10.0.1." + address).allowed()).isTrue();
        }
        assertThat(throttle.admit("10.0.1.5").allowed()).isFalse();
    }

    @Test
    void aRefusedAttemptCostsTheAddressNothingMore() {
        LoginThrottle throttle = throttle(2, 100);
        throttle.admit("10.0.0.1");
        throttle.admit("10.0.0.1");
        for (int refused = 0; refused < 10; refused++) {
            assertThat(throttle.admit("10.0.0.1").allowed()).isFalse();
        }
        advance(Duration.ofSeconds(2));
        assertThat(throttle.admit("10.0.0.1").allowed()).isTrue();
        assertThat(throttle.admit("10.0.0.1").retryAfterSeconds()).as("the next wait, not ten doublings")
                .isEqualTo(4);
    }
}
