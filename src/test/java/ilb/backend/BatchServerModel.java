package ilb.backend;

import java.util.concurrent.TimeUnit;

/**
 * A server with continuous batching, as a closed loop under more load than it takes: whatever the limit allows is
 * in flight, {@code batch} of it runs and the rest waits, so each request takes its service time times
 * {@code max(1, inFlight / batch)} (Little's law). Drives a limit with explicit time, no server, no clock.
 */
final class BatchServerModel {

    private final int batch;
    private final long serviceNanos;
    private double slowFactor = 1;
    private double noise;
    private java.util.Random random = new java.util.Random(0);
    private long nowNanos;
    private long nextScrapeNanos;

    BatchServerModel(int batch, long serviceMillis) {
        this.batch = batch;
        this.serviceNanos = TimeUnit.MILLISECONDS.toNanos(serviceMillis);
    }

    /** How many times slower it serves from now on (1: as it was). */
    void slowFactor(double factor) {
        this.slowFactor = factor;
    }

    /** Each request takes up to {@code share} more or less than its due, at random from {@code seed}. */
    BatchServerModel noise(double share, long seed) {
        this.noise = share;
        this.random = new java.util.Random(seed);
        return this;
    }

    long nowNanos() {
        return nowNanos;
    }

    /** What its metrics say now, with {@code inFlight} requests sent to it. */
    BackendTelemetry telemetry(int inFlight) {
        return new BackendTelemetry(nowNanos, Math.max(0, inFlight - batch), Math.min(inFlight, batch), 0.2,
                Double.NaN, Double.NaN, Double.NaN);
    }

    /**
     * Runs the loop for {@code millis} of its time: the limit's requests finish one after another, each a sample.
     * {@code scrape} runs every {@code scrapeMillis} (0: never).
     */
    void run(ConcurrencyLimit limit, long millis, long scrapeMillis, java.util.function.LongConsumer scrape) {
        long end = nowNanos + TimeUnit.MILLISECONDS.toNanos(millis);
        long scrapeEvery = TimeUnit.MILLISECONDS.toNanos(scrapeMillis);
        while (nowNanos < end) {
            int inFlight = limit.limit();
            long latency = (long) (serviceNanos * slowFactor * Math.max(1.0, (double) inFlight / batch)
                    * (1 + noise * (2 * random.nextDouble() - 1)));
            // in a closed loop of inFlight requests, one finishes every latency / inFlight
            nowNanos += latency / inFlight;
            if (scrapeMillis > 0 && nowNanos >= nextScrapeNanos) {
                scrape.accept(nowNanos);
                nextScrapeNanos = nowNanos + scrapeEvery;
            }
            limit.sample(latency, inFlight, false, nowNanos);
        }
    }
}
