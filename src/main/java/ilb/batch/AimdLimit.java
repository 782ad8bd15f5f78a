package ilb.batch;

/**
 * How many batch jobs may be in flight at once: additive increase, multiplicative decrease. Every job done grows the
 * limit by 1/limit (one a round); a job turned away for want of spare capacity, or failing, shrinks it by a quarter,
 * at most once per {@code decreaseIntervalNanos}, so that one crowded moment counts once. Thread-safe.
 */
final class AimdLimit {

    private final int max;
    private final long decreaseIntervalNanos;
    private double limit;
    private long lastDecreaseNanos;

    AimdLimit(int initial, int max, long decreaseIntervalNanos) {
        this.max = max;
        this.decreaseIntervalNanos = decreaseIntervalNanos;
        this.limit = Math.max(1, Math.min(initial, max));
        this.lastDecreaseNanos = System.nanoTime() - decreaseIntervalNanos;
    }

    synchronized int current() {
        return (int) limit;
    }

    synchronized void onDone() {
        limit = Math.min(max, limit + 1 / limit);
    }

    synchronized void onBackoff(long nowNanos) {
        if (nowNanos - lastDecreaseNanos >= decreaseIntervalNanos) {
            limit = Math.max(1, limit * 0.75);
            lastDecreaseNanos = nowNanos;
        }
    }
}
