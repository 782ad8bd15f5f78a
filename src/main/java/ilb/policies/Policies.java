package ilb.policies;

import java.util.Map;
import java.util.function.Supplier;

import ilb.balancer.SelectionPolicy;

/** The selection policies a route file can name, by name. */
public final class Policies {

    public static final Map<String, Supplier<SelectionPolicy>> BY_NAME = Map.of(
            "round-robin", RoundRobin::new,
            "weighted-round-robin", SmoothWeightedRoundRobin::new,
            "least-request", LeastRequest::new,
            "peak-ewma", PeakEwma::new);

    private Policies() {
    }
}
