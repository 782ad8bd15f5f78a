package ilb.balancer;

import ilb.admission.TokenBucket;

/**
 * Bounds retries so that they cannot multiply load during an outage: each request earns {@code percent} of a
 * retry, a quiet pool earns {@code minPerSecond} retries a second, and at most {@code maxSaved} are saved up.
 * A retry spends one. (After Finagle's RetryBudget.)
 */
public final class RetryBudget {

    private final double percent;
    private final TokenBucket retries;

    public RetryBudget(double percent, double minPerSecond, double maxSaved) {
        this.percent = percent;
        this.retries = new TokenBucket(minPerSecond, maxSaved);
    }

    /** A new request came in. */
    public void deposit() {
        retries.add(percent);
    }

    /** Whether a retry may happen now; if so it is paid for. */
    public boolean tryWithdraw() {
        return retries.tryTake() == 0;
    }
}
