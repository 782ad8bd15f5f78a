package ilb.backend;

import java.util.concurrent.TimeUnit;

/**
 * Passive health checking: a backend whose requests fail a number of times in a row is ejected, taken out of
 * rotation for a while, without waiting for its health check or for its breaker's window to fill. Each ejection
 * lasts longer than the one before (base, 2x, 4x... up to a maximum), so a backend that keeps failing as soon as it
 * is back spends ever less time hurting requests; every base interval it then serves without an ejection takes one
 * doubling back off.
 */
public final class OutlierEjection {

    private final int consecutiveFailures;
    private final long baseNanos;
    private final long maxNanos;
    private volatile int failuresInARow;
    /** How many ejections in a row the next one follows: its duration is base * 2^level. */
    private int level;
    /** Read on every request's way through the balancer, without the lock. */
    private volatile long ejectedUntilNanos;
    private long lastEjectionEndNanos;
    private String reason;

    /**
     * @param consecutiveFailures failures in a row that eject; 0 turns ejection off
     * @param baseMillis          how long the first ejection lasts
     * @param maxMillis           the longest an ejection may last
     */
    public OutlierEjection(int consecutiveFailures, long baseMillis, long maxMillis) {
        this.consecutiveFailures = consecutiveFailures;
        this.baseNanos = TimeUnit.MILLISECONDS.toNanos(baseMillis);
        this.maxNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(baseMillis, maxMillis));
    }

    /** A request failed; returns how long the backend is now ejected for in milliseconds, or 0 if it is not newly. */
    public synchronized long failed(String why, long nowNanos) {
        if (consecutiveFailures <= 0 || ejectedUntilNanos - nowNanos > 0) {
            return 0;
        }
        if (++failuresInARow < consecutiveFailures) {
            return 0;
        }
        // time served without ejection since the last one ended earns its doublings back
        if (lastEjectionEndNanos != 0 && baseNanos > 0) {
            level = (int) Math.max(0, level - (nowNanos - lastEjectionEndNanos) / baseNanos);
        }
        long duration = baseNanos;
        for (int i = 0; i < level && duration < maxNanos; i++) {
            duration *= 2;
        }
        duration = Math.min(maxNanos, duration);
        if (duration < maxNanos) {
            // at the maximum, more ejections in a row add nothing: the level stays where the maximum was reached
            level++;
        }
        failuresInARow = 0;
        ejectedUntilNanos = nowNanos + duration;
        lastEjectionEndNanos = ejectedUntilNanos;
        reason = consecutiveFailures + " failures in a row, the last: " + why;
        return TimeUnit.NANOSECONDS.toMillis(duration);
    }

    /** A request succeeded: the run of failures is broken. */
    public void succeeded() {
        // on every request: take the lock only when there is a run to break
        if (failuresInARow != 0) {
            synchronized (this) {
                failuresInARow = 0;
            }
        }
    }

    public boolean ejected(long nowNanos) {
        return ejectedUntilNanos - nowNanos > 0;
    }

    /** Milliseconds of ejection left; 0 when not ejected. */
    public long remainingMillis(long nowNanos) {
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(ejectedUntilNanos - nowNanos));
    }

    /** Why the backend was last ejected. */
    public synchronized String reason() {
        return reason;
    }

    /** An operator vouches for the backend: back in rotation now, with no ejections held against it. */
    public synchronized void reset(long nowNanos) {
        ejectedUntilNanos = nowNanos;
        failuresInARow = 0;
        level = 0;
        lastEjectionEndNanos = 0;
    }
}
