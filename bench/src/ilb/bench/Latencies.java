package ilb.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

import org.HdrHistogram.Histogram;

/** The samples of a load phase, and what the report asks of them: percentiles, errors, time windows. */
final class Latencies {

    private final long startNanos;
    private final List<Sample> samples;

    Latencies(long startNanos, List<Sample> samples) {
        this.startNanos = startNanos;
        this.samples = samples;
    }

    /** The samples of several phases together, e.g. rounds of the same measurement. */
    static Latencies pooled(List<Latencies> phases) {
        return new Latencies(phases.isEmpty() ? 0 : phases.get(0).startNanos,
                phases.stream().flatMap(l -> l.samples.stream()).toList());
    }

    /** The samples themselves, e.g. to read the response headers the client kept. */
    List<Sample> samples() {
        return samples;
    }

    int count() {
        return samples.size();
    }

    long count(Predicate<Sample> which) {
        return samples.stream().filter(which).count();
    }

    long errorCount() {
        return count(s -> !s.ok());
    }

    /** Errors by kind, e.g. {@code {http 503=12, timeout=3}}. */
    Map<String, Long> errors() {
        Map<String, Long> errors = new TreeMap<>();
        samples.stream().filter(s -> !s.ok()).forEach(s -> errors.merge(s.error(), 1L, Long::sum));
        return errors;
    }

    /** Time to first token at a percentile (0-100) of all requests, in ms; see {@link #percentileMillis}. */
    double ttftMillis(double percentile) {
        return percentileMillis(Sample::ttftNanos, percentile);
    }

    /** End-to-end latency at a percentile (0-100) of all requests, in ms; see {@link #percentileMillis}. */
    double e2eMillis(double percentile) {
        return percentileMillis(Sample::e2eNanos, percentile);
    }

    /**
     * A percentile of all requests in which a failed one counts as slower than any answer, since to its client it
     * never came: +∞ when the percentile falls on a failure, NaN when there are no requests. Percentiles of the
     * answers alone would make a system look faster the more of its slow requests it lets fail.
     */
    private double percentileMillis(ToLongFunction<Sample> metric, double percentile) {
        Histogram answeredMicros = new Histogram(3);
        long failed = 0;
        for (Sample sample : samples) {
            long nanos = metric.applyAsLong(sample);
            if (!sample.ok()) {
                failed++;
            } else if (nanos >= 0) {
                answeredMicros.recordValue(nanos / 1000);
            }
        }
        long answered = answeredMicros.getTotalCount();
        if (answered + failed == 0) {
            return Double.NaN;
        }
        long rank = Math.max(1, (long) Math.ceil(percentile / 100 * (answered + failed)));
        return rank > answered ? Double.POSITIVE_INFINITY
                : answeredMicros.getValueAtPercentile(100.0 * rank / answered) / 1000.0;
    }

    /**
     * The e2e p99 of each second of the first {@code seconds} of the phase, as {x: the second's middle, y: ms}, for a
     * chart; a p99 that is a failed request is drawn at the timeout.
     */
    List<double[]> e2eP99PerSecond(double seconds, Duration timeout) {
        List<double[]> points = new ArrayList<>();
        for (int second = 0; second < seconds; second++) {
            points.add(new double[] {second + 0.5, Math.min(window(second, second + 1).e2eMillis(99), timeout.toMillis())});
        }
        return points;
    }

    /** The samples meant to be sent between {@code fromSeconds} and {@code toSeconds} into the phase. */
    Latencies window(double fromSeconds, double toSeconds) {
        long from = startNanos + (long) (fromSeconds * 1e9);
        long to = startNanos + (long) (toSeconds * 1e9);
        return new Latencies(startNanos, samples.stream()
                .filter(s -> s.intendedNanos() >= from && s.intendedNanos() < to).toList());
    }
}
