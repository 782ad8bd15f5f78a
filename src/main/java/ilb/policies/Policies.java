package ilb.policies;

import java.util.Map;
import java.util.function.Function;

import ilb.balancer.PoolOptions;
import ilb.balancer.SelectionPolicy;

/** The selection policies a route file can name, by name; each reads its options from the pool's spec. */
public final class Policies {

    public static final Map<String, Function<PoolOptions, SelectionPolicy>> BY_NAME = Map.of(
            "round-robin", options -> new RoundRobin(),
            "weighted-round-robin", options -> new SmoothWeightedRoundRobin(),
            "least-request", options -> new LeastRequest(),
            "peak-ewma", options -> new PeakEwma(),
            "prefix-affinity", PrefixAffinity::new,
            "scored", Scored::new,
            "predicted-latency", PredictedLatency::new);

    private Policies() {
    }
}
