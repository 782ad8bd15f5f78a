package ilb.policies;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

import ilb.backend.Backend;
import ilb.balancer.SelectionPolicy;
import ilb.inference.InferenceRequest;

/**
 * Two random choices scored by expected wait: the backend's peak-sensitive latency average times the requests it
 * already has, plus one (Finagle's P2C peak-EWMA). A backend that turns slow loses traffic at its first slow
 * response; one that nobody has measured yet is tried when idle, and assumed slow while it has requests.
 */
public final class PeakEwma implements SelectionPolicy {

    /** What a request in flight costs at a backend whose latency is not known yet: a second, a pessimistic guess. */
    private static final double UNKNOWN_LATENCY_NANOS = 1e9;

    private final RandomGenerator random;

    public PeakEwma() {
        this(null);
    }

    /** With a fixed random source, for tests; {@code null} means a thread-local one. */
    PeakEwma(RandomGenerator random) {
        this.random = random;
    }

    @Override
    public Backend choose(List<Backend> candidates, InferenceRequest request) {
        long now = System.nanoTime();
        return TwoChoices.choose(candidates, random != null ? random : ThreadLocalRandom.current(),
                backend -> load(backend, now));
    }

    static double load(Backend backend, long now) {
        double latency = backend.latency().cost(now);
        double expectedWait = latency > 0 ? latency * (backend.inFlight() + 1)
                : UNKNOWN_LATENCY_NANOS * backend.inFlight();
        return expectedWait / backend.settings().weight();
    }
}
