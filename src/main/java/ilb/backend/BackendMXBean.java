package ilb.backend;

/**
 * One backend as operators see it in JMX and the Hawtio console ({@code ilb:type=Backend,name=<id>}): its state,
 * and what they may do to it.
 */
public interface BackendMXBean {

    /** The backend's id in its route file, so that a table of backends says which row is which. */
    String getName();

    /** Whether it can take a request now, and if not, why not: AVAILABLE, FULL, COOLING, BREAKER_OPEN, EJECTED, DOWN, DRAINED. */
    String getState();

    int getInFlight();

    /** The most requests it may have in flight now: written in its route file, or learned ({@link #getCapacitySource()}). */
    int getCapacity();

    /** Where its capacity comes from: configured (written in its route file) or learned. */
    String getCapacitySource();

    /** Its circuit breaker's state: CLOSED, OPEN or HALF_OPEN. */
    String getBreaker();

    int getWeight();

    int getTier();

    /** UP, DOWN (and why) or EJECTED (for how long, and why). */
    String getHealth();

    boolean isDrained();

    String getUrl();

    /** The wire it speaks: http, or grpc (KServe v2's gRPC service). */
    String getProtocol();

    String getZone();

    String getHardware();

    /** Requests sent to it since ilb started, retries included. */
    long getRequests();

    /**
     * Median time to first token of its answers over the last minute, in milliseconds (a whole reply's: to its end);
     * -1 with none ({@link RecentAttempts}).
     */
    double getTtftP50Millis();

    /** The 99th percentile of it; -1 with none. */
    double getTtftP99Millis();

    /**
     * The share of its attempts over the last minute that failed as its breaker counts them: errors, resets,
     * timeouts, unreachable, and attempts called off for giving no first byte within the hedge delay.
     */
    double getErrorRate();

    /** Attempts in each five seconds of the last minute, oldest first (the last still filling): a sparkline. */
    long[] getAttemptsPerSlice();

    /** The median time to first token of each five seconds of the last minute, oldest first; -1 with none. */
    double[] getTtftP50MillisPerSlice();

    /** The failed share of each five seconds' attempts of the last minute, oldest first. */
    double[] getErrorRatePerSlice();

    /** No new requests; those in flight finish. */
    void drain();

    void undrain();

    /** Its share relative to its tier, until its route file is next loaded. */
    void changeWeight(int weight);

    /** Closes its circuit breaker and forgets its ejections and cooling. */
    void resetBreaker();

    /** Runs its health check now and says what it found. */
    String checkHealthNow();
}
