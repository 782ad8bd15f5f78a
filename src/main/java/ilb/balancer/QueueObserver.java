package ilb.balancer;

import java.util.Locale;

import ilb.inference.Priority;

/**
 * Told how long requests wait in a pool's queue and which are shed, for telemetry. Called with the queue's work
 * done, on whichever thread did it (often a Netty event loop): it must not block.
 */
public interface QueueObserver {

    /** Why a request was answered 503 without reaching a backend. */
    enum Shed {
        /** The queue was full: it made room for a request of a higher class or a tenant further below its share. */
        QUEUE_FULL,
        /** Its class's queue deadline passed. */
        DEADLINE,
        /** A request that never waits (a shadow copy) found no backend free. */
        NO_CAPACITY,
        /** Its pool stopped while it waited (a route reload, a shutdown): handed back, to the route replacing it. */
        POOL_STOPPED;

        /** Its name as a metric label: {@code queue_full}, {@code deadline}, {@code no_capacity}, {@code pool_stopped}. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * A request left the queue to go on, after waiting {@code waitedNanos}: to a backend that freed up, or to its
     * answer when no backend can take it any more. Requests that never waited are not told.
     *
     * @param pool the pool's route id
     */
    void waited(String pool, Priority priority, String tenant, long waitedNanos);

    /**
     * A request was shed: answered without a backend, 503 {@code overloaded} with {@code Retry-After} (a queued retry
     * that runs out of time gets its last backend's answer).
     */
    void shed(String pool, Priority priority, String tenant, Shed reason);
}
