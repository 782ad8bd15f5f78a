package ilb.backend;

import java.time.Duration;

import org.apache.camel.util.TimeUtils;

/** Durations as operators write them in route files and properties: {@code 250ms}, {@code 2s}, {@code 1m30s}, or plain milliseconds. */
public final class Durations {

    private Durations() {
    }

    /** As Camel's type converter reads an option typed {@link Duration}: the same forms. */
    public static Duration of(String text) {
        return TimeUtils.toDuration(text.trim());
    }

    public static long millis(String text) {
        return TimeUtils.toMilliSeconds(text.trim());
    }
}
