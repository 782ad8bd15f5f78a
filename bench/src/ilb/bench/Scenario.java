package ilb.bench;

/** One benchmark scenario: runs its systems side by side and puts what it measured in its report. */
interface Scenario {

    /** File name of its results, e.g. {@code s1-proxy-overhead}; the command line may name it by a prefix ({@code s1}). */
    String id();

    String title();

    void run(BenchSettings settings, Report report) throws InterruptedException;

    /** The ratio of two measurements, NaN unless both are there. */
    static double ratio(double value, double baseline) {
        return baseline > 0 ? value / baseline : Double.NaN;
    }

    /** The reason a system was not available, short enough for a table cell. */
    static String unavailable(SystemUnavailable e) {
        String reason = e.getMessage().replace('|', '/');
        return "not available: " + (reason.length() > 160 ? reason.substring(0, 160) + "…" : reason);
    }
}
