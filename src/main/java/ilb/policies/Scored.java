package ilb.policies;

import java.util.ArrayList;
import java.util.List;

import ilb.backend.Backend;
import ilb.balancer.PoolOptions;
import ilb.balancer.SelectionPolicy;
import ilb.inference.InferenceRequest;

/**
 * Scores every candidate on what its server reports ({@code /metrics}: queue, KV cache) and what ilb sees itself
 * (requests in flight, latency, which prompts it was sent) and takes the lowest weighted sum; exact ties go to the
 * less loaded, then to chance. When a server's metrics are stale or missing, its telemetry scores are 0 and the
 * choice rests on in-flight counts and latency.
 * <p>
 * Options, the weight of each scorer (0 turns it off): {@code queue} (2), {@code kv} (1), {@code inflight} (1),
 * {@code latency} (1), {@code prefix} (2).
 */
public final class Scored implements SelectionPolicy {

    private record Weighted(Scorer scorer, double weight) {
    }

    private final List<Weighted> scorers = new ArrayList<>();
    private final PrefixIndex index;

    public Scored(PoolOptions options) {
        add(new QueueScorer(), options.number("queue", 2));
        add(new KvCacheScorer(), options.number("kv", 1));
        add(new InFlightScorer(), options.number("inflight", 1));
        add(new LatencyScorer(), options.number("latency", 1));
        double prefix = options.number("prefix", 2);
        index = prefix > 0 ? new PrefixIndex(PrefixAffinity.INDEX_BLOCKS) : null;
        if (index != null) {
            add(new PrefixScorer(index), prefix);
        }
        if (scorers.isEmpty()) {
            throw new IllegalArgumentException("scored: every weight is 0; give at least one scorer a weight");
        }
    }

    private void add(Scorer scorer, double weight) {
        if (weight < 0) {
            throw new IllegalArgumentException("scored: weights must not be negative, got " + weight);
        }
        if (weight > 0) {
            scorers.add(new Weighted(scorer, weight));
        }
    }

    @Override
    public Backend choose(List<Backend> candidates, InferenceRequest request) {
        long now = System.nanoTime();
        double[] total = new double[candidates.size()];
        for (Weighted weighted : scorers) {
            double[] scores = weighted.scorer().score(candidates, request, now);
            for (int i = 0; i < total.length; i++) {
                total[i] += weighted.weight() * scores[i];
            }
        }
        return Best.of(candidates, (i, best) -> Double.compare(total[i], total[best]));
    }

    @Override
    public void sent(InferenceRequest request, Backend backend) {
        if (index != null) {
            index.record(request.prefix(), backend);
        }
    }
}
