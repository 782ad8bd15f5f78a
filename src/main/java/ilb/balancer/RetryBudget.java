package ilb.balancer;

import java.util.concurrent.TimeUnit;

/**
 * Bounds retries so that they cannot multiply load during an outage: each request earns {@code percent} of a
 * retry, a quiet pool earns {@code minPerSecond} retries a second, and at most {@code maxSaved} are saved up.
 * A retry spends one. (After Finagle's RetryBudget.)
 */
public final class RetryBudget {

    private final double percent;
    private final double minPerSecond;
    private final double maxSaved;
    private double balance;
    private long stamp = System.nanoTime();

    public RetryBudget(double percent, double minPerSecond, double maxSaved) {
        this.percent = percent;
        this.minPerSecond = minPerSecond;
        this.maxSaved = maxSaved;
        this.balance = maxSaved;
    }

    /** A new request came in. */
    public synchronized void deposit() {
        balance = Math.min(maxSaved, balance + percent);
    }

    /** Whether a retry may happen now; if so it is paid for. */
    public synchronized boolean tryWithdraw() {
        long now = System.nanoTime();
        balance = Math.min(maxSaved, balance + minPerSecond * (now - stamp) / TimeUnit.SECONDS.toNanos(1));
        stamp = now;
        if (balance >= 1) {
            balance -= 1;
            return true;
        }
        return false;
    }
}
