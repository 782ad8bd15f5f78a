package ilb.backend;

/**
 * What one scrape of a server's metrics says about its batch: requests running while others wait at the server
 * are as many as its batch takes (vLLM's {@code max-num-seqs}, or fewer when its KV cache is full); with nothing
 * waiting and the KV cache not near full, it may take more.
 *
 * @param full     the server's batch size, found full at this many running requests; 0 when nothing waits
 * @param mayGrow  whether a limit may grow beyond what the server runs now: nothing waits and its KV cache (when
 *                 it publishes its use) is not near full
 */
record ServerBatch(int full, boolean mayGrow) {

    /** KV-cache use from which a server is taken as full even with nothing waiting yet. */
    static final double KV_CACHE_NEAR_FULL = 0.9;

    /** What a server that does not publish its queue and batch says: nothing. */
    static final ServerBatch UNKNOWN = new ServerBatch(0, true);

    static ServerBatch of(BackendTelemetry telemetry) {
        double waiting = telemetry.waiting();
        double running = telemetry.running();
        if (Double.isNaN(waiting) || Double.isNaN(running)) {
            return UNKNOWN;
        }
        if (waiting >= 1 && running >= 1) {
            return new ServerBatch((int) Math.round(running), false);
        }
        return new ServerBatch(0, !(telemetry.kvCacheUsage() >= KV_CACHE_NEAR_FULL));
    }
}
