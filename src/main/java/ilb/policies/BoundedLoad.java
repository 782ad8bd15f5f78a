package ilb.policies;

import java.util.List;

import ilb.backend.Backend;

/**
 * The load bound of consistent hashing with bounded loads (Mirrokni et al.): a backend may take one more request
 * while its requests in flight stay within {@code factor} times its weighted share of the tier's, rounded up.
 * Affinity may then pile onto a backend only up to that point; past it, requests go to the least loaded.
 */
final class BoundedLoad {

    private final double factor;
    private final int totalInFlight;
    private final int totalWeight;

    BoundedLoad(double factor, List<Backend> candidates) {
        this.factor = factor;
        int inFlight = 0;
        int weight = 0;
        for (Backend backend : candidates) {
            inFlight += backend.inFlight();
            weight += backend.settings().weight();
        }
        this.totalInFlight = inFlight;
        this.totalWeight = weight;
    }

    boolean admits(Backend backend) {
        double share = (double) backend.settings().weight() / totalWeight;
        return backend.inFlight() + 1 <= Math.ceil(factor * (totalInFlight + 1) * share);
    }
}
