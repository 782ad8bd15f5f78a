package ilb.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;

/**
 * Collects the samples of one load phase as they complete, on any thread, and how late the load generator sent
 * each request compared with its schedule (a check on the generator itself). Requests due before the measured
 * start (warm-up) are waited for but not kept.
 */
final class LatencyRecorder {

    private final long startNanos;
    private final List<Sample> samples = new ArrayList<>();
    private final Histogram sendLagMicros = new Histogram(3);
    private int outstanding;

    /** Keeps the samples of requests due from {@code startNanos} on. */
    LatencyRecorder(long startNanos) {
        this.startNanos = startNanos;
    }

    synchronized void sent(long intendedNanos, long actualNanos) {
        outstanding++;
        if (intendedNanos >= startNanos) {
            sendLagMicros.recordValue(Math.max(0, (actualNanos - intendedNanos) / 1000));
        }
    }

    synchronized void completed(Sample sample) {
        if (sample.intendedNanos() >= startNanos) {
            samples.add(sample);
        }
        if (--outstanding == 0) {
            notifyAll();
        }
    }

    /** Waits until every request sent has completed; the client's timeout bounds how long that takes. */
    synchronized void awaitCompletion(Duration atMost) throws InterruptedException {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (outstanding > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IllegalStateException(outstanding + " requests never completed");
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    /** The generator's lag behind its schedule at the given percentile, in milliseconds. */
    synchronized double sendLagMillis(double percentile) {
        return sendLagMicros.getValueAtPercentile(percentile) / 1000.0;
    }

    synchronized Latencies latencies() {
        return new Latencies(startNanos, List.copyOf(samples));
    }
}
