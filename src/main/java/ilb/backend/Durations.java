package ilb.backend;

import org.apache.camel.util.TimeUtils;

/** Durations as operators write them in route files and properties: {@code 250ms}, {@code 2s}, {@code 1m30s}, or plain milliseconds. */
public final class Durations {

    private Durations() {
    }

    public static long millis(String text) {
        return TimeUtils.toMilliSeconds(text.trim());
    }
}
