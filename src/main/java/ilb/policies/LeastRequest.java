package ilb.policies;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

import ilb.backend.Backend;
import ilb.balancer.SelectionPolicy;
import ilb.inference.InferenceRequest;

/** Two random choices, the one with fewer requests in flight per unit of weight wins. */
public final class LeastRequest implements SelectionPolicy {

    private final RandomGenerator random;

    public LeastRequest() {
        this(null);
    }

    /** With a fixed random source, for tests; {@code null} means a thread-local one. */
    LeastRequest(RandomGenerator random) {
        this.random = random;
    }

    @Override
    public Backend choose(List<Backend> candidates, InferenceRequest request) {
        return TwoChoices.choose(candidates, random != null ? random : ThreadLocalRandom.current(),
                LeastRequest::load);
    }

    /** Requests in flight with this one, per unit of weight. */
    static double load(Backend backend) {
        return (backend.inFlight() + 1.0) / backend.settings().weight();
    }

    /** The candidate with the lowest load: the first of them on a tie. */
    static Backend leastLoaded(List<Backend> candidates) {
        Backend best = candidates.get(0);
        for (Backend backend : candidates) {
            if (load(backend) < load(best)) {
                best = backend;
            }
        }
        return best;
    }
}
