package ilb.bench;

import java.time.Duration;

/** One benchmark scenario: runs its systems side by side and puts what it measured in its report. */
interface Scenario {

    /** File name of its results, e.g. {@code s1-proxy-overhead}; the command line may name it by a prefix ({@code s1}). */
    String id();

    String title();

    void run(BenchSettings settings, Report report) throws InterruptedException;

    /**
     * The ratio of two measurements, NaN unless both are there; an infinite baseline (a percentile that fell on a
     * failed request) has none, where an infinite value's ratio is infinite.
     */
    static double ratio(double value, double baseline) {
        return baseline > 0 && baseline < Double.POSITIVE_INFINITY ? value / baseline : Double.NaN;
    }

    /** A point of a scenario's timeline, in seconds that may have a fraction (a quick run's shorter timeline). */
    static Duration seconds(double seconds) {
        return Duration.ofMillis(Math.round(seconds * 1000));
    }

    /** The reason a system was not available, short enough for a table cell. */
    static String unavailable(SystemUnavailable e) {
        String reason = e.getMessage().replace('|', '/');
        return "not available: " + (reason.length() > 160 ? reason.substring(0, 160) + "…" : reason);
    }
}
