package ilb.policies;

import java.util.List;

/**
 * The selection policies a route file can name, with their options: the one description of the policy spec that
 * checking it ({@link Policy#of}) and the README's tables of policies and options (tested against this) come from.
 */
public final class Policies {

    public static final List<Policy> ALL = List.of(
            new Policy("round-robin", "each backend in turn", List.of(), options -> new RoundRobin()),
            new Policy("weighted-round-robin", "in proportion to weight, spread evenly (nginx's smooth WRR)",
                    List.of(), options -> new SmoothWeightedRoundRobin()),
            new Policy("least-request", "of two random backends, the one with fewer requests in flight per weight",
                    List.of(), options -> new LeastRequest()),
            new Policy("peak-ewma", "of two random backends, the lower latency EWMA × (in flight + 1) / weight",
                    List.of(), options -> new PeakEwma()),
            new Policy("prefix-affinity", "the backend most likely to hold the prompt's prefix in its KV cache,"
                    + " within a load bound", List.of(PrefixAffinity.LOAD_BOUND), PrefixAffinity::new),
            // its latency targets are the pool's (sloTtft, sloTpot), which the balancer enforces too
            new Policy("predicted-latency", "**the default to use**: the earliest predicted finish of this request;"
                    + " with latency targets, the surest to meet them", List.of(), PredictedLatency::new),
            new Policy("scored", "the lowest weighted score over the server's telemetry and ilb's own counts",
                    Scored.OPTIONS, Scored::new));

    private Policies() {
    }

    /** The policy of that name; null for none (a name that is no policy spec). */
    public static Policy named(String name) {
        return ALL.stream().filter(policy -> policy.name().equals(name)).findFirst().orElse(null);
    }
}
