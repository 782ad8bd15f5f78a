package ilb.backend;

import java.util.Locale;

/** Where a backend's concurrency limit comes from. */
public enum CapacitySource {
    /** {@code capacity} written beside the backend in its route file: a hard limit. */
    CONFIGURED,
    /** Nothing written: ilb learns the limit from latency and the server's metrics ({@link LearnedCapacity}). */
    LEARNED;

    /** Its name as a metric label and in the console: {@code configured}, {@code learned}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
