package ilb.backend;

/**
 * What a model server's {@code /metrics} said at its last scrape, in the terms ilb schedules by. A value the server
 * does not publish is {@code NaN}; policies then fall back to what ilb counts itself (requests in flight).
 *
 * @param scrapedNanos {@link System#nanoTime()} of the scrape
 * @param waiting      requests queued at the server, not yet in its batch
 * @param running      requests in the server's batch
 * @param kvCacheUsage share of the KV cache in use, 0..1
 * @param ttftSeconds  mean time to first token of the requests finished lately
 * @param tpotSeconds  mean time per output token of the requests finished lately
 * @param e2eSeconds   mean time from arrival to the last token of the requests finished lately
 */
public record BackendTelemetry(long scrapedNanos, double waiting, double running, double kvCacheUsage,
        double ttftSeconds, double tpotSeconds, double e2eSeconds) {

    /** Nothing known: never scraped, the scrape failed, or it is too old to trust. */
    public static final BackendTelemetry NONE = new BackendTelemetry(0, Double.NaN, Double.NaN, Double.NaN,
            Double.NaN, Double.NaN, Double.NaN);

    public boolean known() {
        return this != NONE;
    }
}
