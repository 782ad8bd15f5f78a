package ilb.backend;

import java.util.Arrays;

/**
 * What a backend's attempts came to over the last minute, in twelve slices of five seconds: the console's TTFT
 * p50 / p99, error rate and sparklines. Prometheus has the long history; this is what an operator looking at one
 * backend now wants without a query. Times are the caller's {@link System#nanoTime()}, so tests drive them.
 *
 * <p>Time to first token is the time to the first byte of the answer: a stream's first event, a whole reply's end.
 * Latencies are kept in buckets 9 % wide (eight to a doubling), so a percentile is within 9 % of the true one.
 */
public final class RecentAttempts {

    static final int SLICES = 12;
    static final long SLICE_NANOS = 5_000_000_000L;
    /** Eight buckets to a doubling of microseconds, up to 2^28 µs (4.5 minutes). */
    private static final int PER_DOUBLING = 8;
    private static final int BUCKETS = 28 * PER_DOUBLING + 2;

    /** Which slice of time each slot holds now: a slot left from a minute ago is emptied before it is used. */
    private final long[] sliceOfSlot = new long[SLICES];
    private final int[] served = new int[SLICES];
    private final int[] failed = new int[SLICES];
    private final int[][] ttft = new int[SLICES][BUCKETS];

    public RecentAttempts() {
        Arrays.fill(sliceOfSlot, Long.MIN_VALUE);
    }

    /** An attempt the backend answered, its first byte {@code ttftNanos} after it was sent. */
    public synchronized void served(long ttftNanos, long nowNanos) {
        int slot = slot(nowNanos);
        served[slot]++;
        ttft[slot][bucket(ttftNanos)]++;
    }

    /** An attempt the backend failed (an error, a reset, a timeout, unreachable). */
    public synchronized void failed(long nowNanos) {
        failed[slot(nowNanos)]++;
    }

    /** The last minute up to {@code nowNanos}, and each of its slices, oldest first: the last one still filling. */
    public synchronized Summary summary(long nowNanos) {
        long current = Math.floorDiv(nowNanos, SLICE_NANOS);
        long[] attempts = new long[SLICES];
        double[] errorRates = new double[SLICES];
        double[] ttftP50s = new double[SLICES];
        int[] minute = new int[BUCKETS];
        long servedInMinute = 0;
        long failedInMinute = 0;
        for (int age = SLICES - 1; age >= 0; age--) {
            long slice = current - age;
            int slot = (int) Math.floorMod(slice, SLICES);
            int index = SLICES - 1 - age;
            if (sliceOfSlot[slot] != slice) {
                ttftP50s[index] = -1;
                continue;
            }
            attempts[index] = served[slot] + failed[slot];
            errorRates[index] = attempts[index] == 0 ? 0 : (double) failed[slot] / attempts[index];
            ttftP50s[index] = percentileMillis(ttft[slot], served[slot], 0.5);
            servedInMinute += served[slot];
            failedInMinute += failed[slot];
            for (int b = 0; b < BUCKETS; b++) {
                minute[b] += ttft[slot][b];
            }
        }
        return new Summary(servedInMinute, failedInMinute, percentileMillis(minute, servedInMinute, 0.5),
                percentileMillis(minute, servedInMinute, 0.99), attempts, errorRates, ttftP50s);
    }

    /**
     * @param served        attempts answered in the last minute
     * @param failed        attempts failed in the last minute
     * @param ttftP50Millis median time to first byte, -1 with nothing answered
     * @param ttftP99Millis 99th percentile of it, -1 with nothing answered
     * @param attempts      attempts of each slice, oldest first
     * @param errorRates    the failed share of each slice's attempts
     * @param ttftP50sMillis each slice's median time to first byte, -1 with nothing answered
     */
    public record Summary(long served, long failed, double ttftP50Millis, double ttftP99Millis, long[] attempts,
            double[] errorRates, double[] ttftP50sMillis) {

        public double errorRate() {
            long all = served + failed;
            return all == 0 ? 0 : (double) failed / all;
        }
    }

    private int slot(long nowNanos) {
        long slice = Math.floorDiv(nowNanos, SLICE_NANOS);
        int slot = (int) Math.floorMod(slice, SLICES);
        if (sliceOfSlot[slot] != slice) {
            sliceOfSlot[slot] = slice;
            served[slot] = 0;
            failed[slot] = 0;
            Arrays.fill(ttft[slot], 0);
        }
        return slot;
    }

    /** Bucket 0: up to 1 µs; bucket i: over 2^((i - 1) / 8) µs, up to 2^(i / 8) µs; the last: anything longer. */
    static int bucket(long nanos) {
        double micros = nanos / 1000.0;
        if (micros <= 1) {
            return 0;
        }
        int bucket = (int) Math.ceil(PER_DOUBLING * Math.log(micros) / Math.log(2));
        return Math.min(bucket, BUCKETS - 1);
    }

    /** The geometric middle of a bucket, in milliseconds. */
    static double millisOf(int bucket) {
        return bucket == 0 ? 0.001 : Math.pow(2, (bucket - 0.5) / PER_DOUBLING) / 1000.0;
    }

    private static double percentileMillis(int[] buckets, long count, double quantile) {
        if (count == 0) {
            return -1;
        }
        long rank = Math.max(1, (long) Math.ceil(quantile * count));
        long seen = 0;
        for (int b = 0; b < buckets.length; b++) {
            seen += buckets[b];
            if (seen >= rank) {
                return millisOf(b);
            }
        }
        return millisOf(buckets.length - 1);
    }
}
