package ilb.balancer;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * How long a request waits for a backend's first byte before it is also sent to another one: twice the backend's
 * 99th percentile time to answer over its recent answers, and never less than the pool's {@code hedgeAfter}. A
 * backend that keeps its usual pace is hedged about once in a hundred requests at most; one that stops answering
 * costs each request one such delay, not its timeout. Without recent answers the floor is the delay.
 * <p>
 * Kept per backend and per kind of request (a stream answers at its first token, a whole reply at its end), over a
 * sliding window of the last {@value #SAMPLES} answers no older than {@link #WINDOW_NANOS}. Asked for on every
 * request, the delay is worked out again only when a sixteenth of the window is new or its oldest answer leaves it,
 * so that a request does not pay for sorting the window. Times are given, not read, so that it is tested with
 * explicit time; thread-safe.
 */
final class HedgeDelay {

    static final int SAMPLES = 256;
    static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final double QUANTILE = 0.99;
    private static final double FACTOR = 2;

    private final long floorNanos;
    /** Answer times and when each came, in a ring: {@code next} is where the next one goes. */
    private final long[] elapsed = new long[SAMPLES];
    private final long[] at = new long[SAMPLES];
    private int next;
    private int count;
    /** The delay as last worked out; answers since then; whether an answer in it leaves the window, and when. */
    private long delayNanos;
    private int answersSince;
    private boolean worked;
    private boolean expires;
    private long expiresAtNanos;

    /** @param floorNanos the least delay, the pool's {@code hedgeAfter} */
    HedgeDelay(long floorNanos) {
        this.floorNanos = floorNanos;
    }

    /** The backend answered {@code elapsedNanos} after the request was sent, at {@code nowNanos}. */
    synchronized void answered(long elapsedNanos, long nowNanos) {
        elapsed[next] = elapsedNanos;
        at[next] = nowNanos;
        next = (next + 1) % SAMPLES;
        count = Math.min(count + 1, SAMPLES);
        answersSince++;
    }

    /** How long a request sent at {@code nowNanos} waits for its first byte before it is hedged. */
    synchronized long nanos(long nowNanos) {
        if (!worked || answersSince > count / 16 || expires && nowNanos - expiresAtNanos > 0) {
            delayNanos = workOut(nowNanos);
            worked = true;
            answersSince = 0;
        }
        return delayNanos;
    }

    private long workOut(long nowNanos) {
        long[] recent = new long[count];
        int n = 0;
        expires = false;
        for (int i = 0; i < count; i++) {
            if (nowNanos - at[i] <= WINDOW_NANOS) {
                recent[n++] = elapsed[i];
                long leaves = at[i] + WINDOW_NANOS;
                if (!expires || leaves - expiresAtNanos < 0) {
                    expiresAtNanos = leaves;
                    expires = true;
                }
            }
        }
        if (n == 0) {
            return floorNanos;
        }
        Arrays.sort(recent, 0, n);
        long quantile = recent[(int) Math.ceil(QUANTILE * n) - 1];
        return Math.max(floorNanos, (long) (FACTOR * quantile));
    }
}
