package ilb.backend;

/**
 * A backend's concurrency limit as learned from what its requests experience (after Netflix' concurrency-limits):
 * each answered request is a sample, and the limit is the most requests in flight at once it allows now.
 */
interface ConcurrencyLimit {

    /** The most requests in flight at once now, at least 1. */
    int limit();

    /**
     * One request's outcome.
     *
     * @param latencyNanos   how long the request took as its lease saw it: for a stream, its time to first token
     * @param inFlightAtSend requests in flight at the backend when it was sent, itself included
     * @param failed         whether the backend failed it (a timeout, a broken connection): a slow sample
     * @param nowNanos       {@link System#nanoTime()} now
     */
    void sample(long latencyNanos, int inFlightAtSend, boolean failed, long nowNanos);
}
