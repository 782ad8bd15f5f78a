package ilb.backend;

import java.util.concurrent.TimeUnit;

/**
 * A concurrency limit that follows latency (the ideas of TCP Vegas and Netflix' Gradient2): requests taking clearly
 * longer than without load mean the backend's batch is full and more requests only wait in its queue, so the limit
 * falls; while latency stays at its no-load level and the backend is used near its limit, the limit grows. Samples
 * are judged in windows of about one limit's worth of requests, so a limit changes at most once per round of them.
 * <p>
 * The no-load baseline is the lowest window average seen. A window faster than it lowers it at once; a slower one
 * raises it slowly (time constant {@link #BASELINE_RISE_NANOS}), but only if it had no more in flight than the
 * window that set it: a server that turned slower for good (the limit falls to where the baseline was measured)
 * becomes its own new baseline, while lasting queueing under load never passes for the norm. When the server itself
 * says nothing waits there ({@link #serverQueueEmpty}), slower windows are no queueing: they are its no-load latency
 * now, the baseline at once, and the limit stays. Not thread-safe: {@link LearnedCapacity} serializes it.
 */
final class GradientLimit implements ConcurrencyLimit {

    /** Windows averaging more than this over the baseline mean requests wait at the server: the limit falls. */
    static final double TOLERANCE = 1.5;
    /** Windows averaging at most this over the baseline mean latency is flat: the limit may grow. */
    static final double FLAT = 1.2;
    /** The fewest samples a window judges, so that one odd request does not move the limit. */
    static final int MIN_WINDOW = 4;
    /** Time constant of the baseline's rise towards slower windows. */
    static final long BASELINE_RISE_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** A window used less than this share of the limit does not grow it: nobody tested the limit. */
    private static final double NEAR_LIMIT = 0.75;

    private final int ceiling;
    private double limit;
    private int growUpTo;
    private boolean serverQueueEmpty;
    /** 0 while unknown. */
    private double baselineNanos;
    private long baselineAtNanos;
    /** The most requests in flight in the window that set the baseline. */
    private int baselineInFlight;
    private double windowSumNanos;
    private int windowCount;
    private int windowMaxInFlight;
    /** The last window's average over the baseline; 1 before the first. */
    private double lastRatio = 1;
    /** Windows so far that were clearly faster than the baseline. */
    private int fasterWindows;

    /**
     * @param initial the limit before anything is known
     * @param ceiling the highest the limit may grow
     */
    GradientLimit(int initial, int ceiling) {
        if (ceiling < 1) {
            throw new IllegalArgumentException("a limit's ceiling must be at least 1, not " + ceiling);
        }
        this.ceiling = ceiling;
        this.limit = Math.max(1, Math.min(initial, ceiling));
        this.growUpTo = ceiling;
    }

    @Override
    public int limit() {
        return (int) limit;
    }

    /** The no-load latency in nanoseconds, as far as known; 0 before the first window. */
    double baselineNanos() {
        return baselineNanos;
    }

    /** The highest the limit may grow for now (what the server's metrics say); it never lowers the limit. */
    void growUpTo(int cap) {
        growUpTo = Math.max(1, Math.min(cap, ceiling));
    }

    /**
     * Whether the server's own metrics say, for now, that no request waits there: a latency rise is then the server
     * serving slower (a slower model, a throttled GPU), which a smaller limit would not cure but only waste its batch.
     */
    void serverQueueEmpty(boolean empty) {
        serverQueueEmpty = empty;
    }

    /**
     * How many windows so far were clearly faster than the baseline (by more than {@link #FLAT}): the server turned
     * faster, and may take more than it did.
     */
    int fasterWindows() {
        return fasterWindows;
    }

    /** Whether the last window took clearly longer than the baseline: the limit is falling, not to be raised. */
    boolean latencyRising() {
        return lastRatio > TOLERANCE;
    }

    /** Raises the limit by one step (as a flat window would), up to {@code cap} and the ceiling. */
    void grow(int cap) {
        limit = Math.max(limit, Math.min(Math.min(cap, ceiling), limit + step()));
    }

    /** Sets the limit (within 1 and the ceiling), as the server's metrics tell it, and starts a new window. */
    void moveTo(int newLimit) {
        limit = Math.max(1, Math.min(newLimit, ceiling));
        newWindow();
    }

    @Override
    public void sample(long latencyNanos, int inFlightAtSend, boolean failed, long nowNanos) {
        if (inFlightAtSend > limit()) {
            // sent under a higher limit, already left: it tells what that limit did
            return;
        }
        windowSumNanos += failed ? Math.max(latencyNanos, 2 * baselineNanos) : latencyNanos;
        windowCount++;
        windowMaxInFlight = Math.max(windowMaxInFlight, inFlightAtSend);
        if (windowCount >= Math.max(MIN_WINDOW, limit())) {
            judge(nowNanos);
        }
    }

    private void judge(long nowNanos) {
        double average = windowSumNanos / windowCount;
        int maxInFlight = windowMaxInFlight;
        boolean used = maxInFlight >= NEAR_LIMIT * limit;
        newWindow();
        if (average * FLAT < baselineNanos) {
            fasterWindows++;
        }
        if (baselineNanos == 0 || average < baselineNanos) {
            baselineNanos = average;
            baselineInFlight = maxInFlight;
            baselineAtNanos = nowNanos;
        }
        double ratio = average / baselineNanos;
        lastRatio = ratio;
        if (maxInFlight <= baselineInFlight) {
            double rise = 1 - Math.exp(-(double) (nowNanos - baselineAtNanos) / BASELINE_RISE_NANOS);
            baselineNanos += (average - baselineNanos) * rise;
        }
        baselineAtNanos = nowNanos;
        if (ratio > TOLERANCE && serverQueueEmpty) {
            baselineNanos = average;
            baselineInFlight = maxInFlight;
            lastRatio = 1;
        } else if (ratio > TOLERANCE) {
            // queueing time grows with the requests over the batch: scale back to where latency would be flat
            limit = Math.max(1, limit * Math.max(0.5, FLAT / ratio));
        } else if (ratio <= FLAT && used && limit < growUpTo) {
            grow(growUpTo);
        }
    }

    /** One step up: 1 for small limits, more for large ones, so that a limit of hundreds is reached in time. */
    private double step() {
        return Math.max(1, Math.sqrt(limit) / 2);
    }

    private void newWindow() {
        windowSumNanos = 0;
        windowCount = 0;
        windowMaxInFlight = 0;
    }
}
