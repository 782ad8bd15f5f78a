package ilb.balancer;

import ilb.inference.Priority;

/**
 * How long a request of each class may wait in its pool's queue before it is answered 503
 * ({@code ilb.balancer.queueTimeout.critical}, {@code .standard}, {@code .sheddable}). Shorter for lower classes, so
 * that a saturated pool sheds them first.
 */
public record QueueTimeouts(long criticalMillis, long standardMillis, long sheddableMillis) {

    public QueueTimeouts {
        if (criticalMillis <= 0 || standardMillis <= 0 || sheddableMillis <= 0) {
            throw new IllegalArgumentException("ilb.balancer.queueTimeout.* must be above 0, not critical "
                    + criticalMillis + " ms, standard " + standardMillis + " ms, sheddable " + sheddableMillis + " ms");
        }
    }

    public long millis(Priority priority) {
        return switch (priority) {
            case CRITICAL -> criticalMillis;
            case STANDARD -> standardMillis;
            case SHEDDABLE -> sheddableMillis;
            case BATCH -> throw new IllegalArgumentException("batch jobs never wait in a pool's queue");
        };
    }
}
