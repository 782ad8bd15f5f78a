package ilb.admission;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TokenBucketTest {

    @Test
    void letsABurstThroughThenSaysHowLongToWait() {
        TokenBucket bucket = new TokenBucket(2, 3);
        assertThat(bucket.tryTake()).isZero();
        assertThat(bucket.tryTake()).isZero();
        assertThat(bucket.tryTake()).isZero();
        // empty: the next token comes in about half a second at 2 a second
        assertThat(bucket.tryTake()).isBetween(400L, 500L);
    }
}
