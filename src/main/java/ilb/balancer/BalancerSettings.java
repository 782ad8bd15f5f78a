package ilb.balancer;

/**
 * How every pool's balancer retries and queues; set as {@code ilb.balancer.*} properties.
 *
 * @param maxAttempts        most backends one request is sent to
 * @param retryPercent       retries may add this fraction to the request rate (0.2 = 20 %)
 * @param retryMinPerSecond  retries a quiet pool may always make, per second
 * @param retryMaxSaved      most retries saved up for a burst of failures
 * @param queueSize          most requests waiting for a backend with free capacity; a full queue sheds the lowest
 *                           class first ({@link FairQueue})
 * @param queueTimeouts      longest a request of each class waits for one before it is answered 503
 * @param zone               where this ilb runs; its tiers prefer backends of the same zone and fail over to
 *                           the others when none of those can take a request. Empty: zones are ignored
 * @param batchReserve       the share of each backend's capacity that batch jobs leave to interactive requests
 */
public record BalancerSettings(int maxAttempts, double retryPercent, double retryMinPerSecond, double retryMaxSaved,
        int queueSize, QueueTimeouts queueTimeouts, String zone, double batchReserve) {
}
