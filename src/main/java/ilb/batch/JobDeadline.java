package ilb.batch;

import java.util.concurrent.TimeUnit;

/**
 * When a try of a batch job must be over (its backend call then ends as a 504 and the job is tried again later): at
 * most {@code jobTimeout} after it starts, and early enough in its poll that its outcome still reaches Kafka
 * (within the producer's delivery timeout) and the consumer polls again before {@code maxPollInterval}. A backend
 * that trickles its answer thus frees the job's place, and never gets the consumer fenced from its group.
 *
 * @param jobTimeoutNanos a try's own limit
 * @param pollBudgetNanos how long after its poll starts a try may still run: maxPollInterval less the delivery
 *                        timeout and {@link #MARGIN_MILLIS}
 */
record JobDeadline(long jobTimeoutNanos, long pollBudgetNanos) {

    /** For what follows a try's end besides its send: its outcome read, the commit, the consumer back to poll. */
    static final long MARGIN_MILLIS = 15_000;

    static JobDeadline of(long jobTimeoutMillis, long maxPollIntervalMillis, long deliveryTimeoutMillis) {
        return new JobDeadline(TimeUnit.MILLISECONDS.toNanos(jobTimeoutMillis),
                TimeUnit.MILLISECONDS.toNanos(maxPollIntervalMillis - deliveryTimeoutMillis - MARGIN_MILLIS));
    }

    /** The {@link System#nanoTime()} by which a try starting at {@code nowNanos}, in a poll started then, ends. */
    long at(long nowNanos, long pollStartNanos) {
        long own = nowNanos + jobTimeoutNanos;
        long poll = pollStartNanos + pollBudgetNanos;
        // compared by their difference, as nanoTime values must be
        return own - poll < 0 ? own : poll;
    }
}
