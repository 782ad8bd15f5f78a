package ilb.backend;

/**
 * What one scrape of a server's metrics says about its batch: requests running while others wait at the server
 * are as many as its batch takes (vLLM's {@code max-num-seqs}, or fewer when its KV cache is full); a KV cache near
 * full takes no more even before requests wait.
 *
 * @param full             the server's batch size, found full at this many running requests; 0 when nothing
 *                         waits, or the server does not say
 * @param kvCacheNearFull  whether its KV cache (when it publishes its use) is near full
 * @param nothingWaits     whether the server publishes its queue and it was empty
 */
record ServerBatch(int full, boolean kvCacheNearFull, boolean nothingWaits) {

    /** KV-cache use from which a server is taken as full even with nothing waiting yet. */
    static final double KV_CACHE_NEAR_FULL = 0.9;

    /** What a server that does not publish its queue and batch says: nothing. */
    static final ServerBatch UNKNOWN = new ServerBatch(0, false, false);

    static ServerBatch of(BackendTelemetry telemetry) {
        boolean kvCacheNearFull = telemetry.kvCacheUsage() >= KV_CACHE_NEAR_FULL;
        double waiting = telemetry.waiting();
        double running = telemetry.running();
        boolean full = waiting >= 1 && running >= 1;
        return new ServerBatch(full ? (int) Math.round(running) : 0, kvCacheNearFull, waiting < 1);
    }
}
