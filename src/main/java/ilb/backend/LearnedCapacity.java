package ilb.backend;

import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The concurrency limit ilb learns for a backend that has no {@code capacity} written: a {@link GradientLimit} on the
 * latency its requests see, seeded and corrected by the server's own metrics where it publishes them
 * ({@link ServerBatch}). A server found with requests waiting while it runs {@code n} has a batch of {@code n}: the
 * limit moves there, at once downwards and halfway per scrape upwards, and does not grow beyond it for a hold (then
 * it probes one more, and a server still full says so again at its next scrape). A probe costs a request waiting at
 * a full server, long on a slow one: each probe that finds the same batch doubles the hold, from {@link #HOLD_NANOS}
 * up to {@link #HOLD_MAX_NANOS}; a different batch, or latency falling clearly below its norm (the server turned
 * faster, and may take more), starts over at once. A server
 * running as many as the limit with none waiting has room: the limit grows a step per scrape, unless latency is
 * rising or its KV cache is near full. Where metrics are fresh they so lead: latency, noisier, cannot hide a batch
 * size they show, and a server that turned slower with nothing waiting keeps its limit (its batch is as large as
 * before; which requests it should get at its new speed is the policy's choice). Without metrics, latency alone
 * lowers the limit of a slower server until its new speed becomes the baseline.
 * <p>
 * Thread-safe: samples come from every event loop, scrapes from the poller; {@link #limit()} is a volatile read.
 */
final class LearnedCapacity implements ConcurrencyLimit {

    private static final Logger LOG = LoggerFactory.getLogger(LearnedCapacity.class);

    /** The limit before anything is known: small, so that a new backend is not flooded, but not 1. */
    static final int INITIAL = 4;
    /** The first hold of a batch size the server's metrics showed: growth beyond it waits this long. */
    static final long HOLD_NANOS = TimeUnit.SECONDS.toNanos(3);
    /** The longest hold, after probes kept finding the same batch. */
    static final long HOLD_MAX_NANOS = 16 * HOLD_NANOS;

    private final String backendId;
    private final GradientLimit gradient;
    private volatile int limit;
    /** The batch its server's metrics last showed full (0: none, or one it has since outgrown). */
    private volatile int heldBatch;
    private long heldUntilNanos;
    private long holdNanos = HOLD_NANOS;
    /** The gradient's count of faster windows, as last seen. */
    private int fasterWindowsSeen;
    private ServerBatch lastScrape = ServerBatch.UNKNOWN;
    private long scrapeFreshUntilNanos;

    /** @param ceiling the highest the limit may grow */
    LearnedCapacity(String backendId, int ceiling) {
        this.backendId = backendId;
        this.gradient = new GradientLimit(INITIAL, ceiling);
        this.limit = gradient.limit();
    }

    @Override
    public int limit() {
        return limit;
    }

    /**
     * How many requests its server runs at once, as far as is known: the limit, or the smaller batch its metrics
     * showed full while the limit probes past it (a request beyond it waits at the server).
     */
    int places() {
        int batch = heldBatch;
        int now = limit;
        return batch > 0 ? Math.min(batch, now) : now;
    }

    @Override
    public synchronized void sample(long latencyNanos, int inFlightAtSend, boolean failed, long nowNanos) {
        gradient.growUpTo(growthCap(nowNanos));
        gradient.serverQueueEmpty(scrapeFreshUntilNanos - nowNanos >= 0 && lastScrape.nothingWaits());
        gradient.sample(latencyNanos, inFlightAtSend, failed, nowNanos);
        if (gradient.fasterWindows() != fasterWindowsSeen) {
            fasterWindowsSeen = gradient.fasterWindows();
            heldUntilNanos = nowNanos;
            holdNanos = HOLD_NANOS;
        }
        publish();
    }

    /**
     * What a scrape of the server's metrics said, at its {@link BackendTelemetry#scrapedNanos()}.
     *
     * @param freshNanos how long after its scrape the telemetry is trusted
     * @return whether the limit rose, so that requests waiting for a place may go
     */
    synchronized boolean scraped(BackendTelemetry telemetry, long freshNanos) {
        ServerBatch batch = ServerBatch.of(telemetry);
        lastScrape = batch;
        scrapeFreshUntilNanos = telemetry.scrapedNanos() + freshNanos;
        int before = gradient.limit();
        if (batch.full() == 0) {
            if (telemetry.running() > heldBatch && batch.nothingWaits()) {
                // it runs more at once than the batch it showed: that one is outgrown
                heldBatch = 0;
            }
            int cap = growthCap(telemetry.scrapedNanos());
            if (!batch.kvCacheNearFull() && telemetry.running() >= before && !gradient.latencyRising()
                    && cap > before) {
                gradient.grow(cap);
                publish();
            }
            return gradient.limit() > before;
        }
        if (batch.full() != heldBatch) {
            holdNanos = HOLD_NANOS;
        } else if (heldUntilNanos - telemetry.scrapedNanos() <= 0) {
            // the hold had run out: the limit probed past the batch, and found it again
            holdNanos = Math.min(2 * holdNanos, HOLD_MAX_NANOS);
        }
        heldBatch = batch.full();
        heldUntilNanos = telemetry.scrapedNanos() + holdNanos;
        if (batch.full() != before) {
            gradient.moveTo(batch.full() < before ? batch.full() : before + (batch.full() - before + 1) / 2);
        }
        publish();
        return gradient.limit() > before;
    }

    /** The most the limit may grow to now, by what the server's metrics showed. */
    private int growthCap(long nowNanos) {
        int cap = Integer.MAX_VALUE;
        if (heldBatch > 0 && heldUntilNanos - nowNanos > 0) {
            cap = heldBatch;
        }
        if (scrapeFreshUntilNanos - nowNanos >= 0 && lastScrape.kvCacheNearFull()) {
            cap = Math.min(cap, gradient.limit());
        }
        return cap;
    }

    private void publish() {
        int now = gradient.limit();
        if (now != limit) {
            LOG.debug("backend {} learned limit {} -> {}", backendId, limit, now);
            limit = now;
        }
    }
}
