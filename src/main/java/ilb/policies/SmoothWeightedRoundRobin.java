package ilb.policies;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import ilb.backend.Backend;
import ilb.balancer.SelectionPolicy;
import ilb.inference.InferenceRequest;

/**
 * Round-robin in proportion to weight, spread evenly (nginx's smooth weighted round-robin): weights 5,1,1 give
 * a a b a c a a, not a a a a a b c. Each round every candidate gains its weight; the one with the most goes and
 * pays back the total.
 */
public final class SmoothWeightedRoundRobin implements SelectionPolicy {

    private final Map<String, Long> current = new HashMap<>();

    @Override
    public synchronized Backend choose(List<Backend> candidates, InferenceRequest request) {
        long total = 0;
        Backend best = null;
        long bestWeight = Long.MIN_VALUE;
        for (Backend backend : candidates) {
            int weight = backend.settings().weight();
            long gained = current.merge(backend.id(), (long) weight, Long::sum);
            total += weight;
            if (gained > bestWeight) {
                best = backend;
                bestWeight = gained;
            }
        }
        current.merge(best.id(), -total, Long::sum);
        return best;
    }
}
