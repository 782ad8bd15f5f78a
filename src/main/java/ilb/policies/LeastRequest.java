package ilb.policies;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

import ilb.backend.Backend;
import ilb.balancer.SelectionPolicy;

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
    public Backend choose(List<Backend> candidates) {
        return TwoChoices.choose(candidates, random != null ? random : ThreadLocalRandom.current(),
                backend -> (backend.inFlight() + 1.0) / backend.settings().weight());
    }
}
