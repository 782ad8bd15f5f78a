package ilb.policies;

import java.util.ArrayList;
import java.util.List;

import ilb.backend.Backend;
import ilb.balancer.PoolOption;
import ilb.balancer.PoolOptions;
import ilb.balancer.SelectionPolicy;
import ilb.inference.InferenceRequest;

/**
 * Scores every candidate on what its server reports ({@code /metrics}: queue, KV cache) and what ilb sees itself
 * (requests in flight, latency, which prompts it was sent) and takes the lowest weighted sum; exact ties go to the
 * less loaded, then to chance. When a server's metrics are stale or missing, its telemetry scores are 0 and the
 * choice rests on in-flight counts and latency.
 * <p>
 * Options: the weight of each scorer ({@link #OPTIONS}).
 */
public final class Scored implements SelectionPolicy {

    static final PoolOption QUEUE = weight("queue", "2", "requests waiting at the server (its metrics)");
    static final PoolOption KV = weight("kv", "1", "the server's KV cache use (its metrics)");
    static final PoolOption IN_FLIGHT = weight("inflight", "1", "ilb's requests in flight there, per capacity");
    static final PoolOption LATENCY = weight("latency", "1", "its recent latency");
    static final PoolOption PREFIX = weight("prefix", "2", "how little of the prompt's prefix it likely holds");
    static final List<PoolOption> OPTIONS = List.of(QUEUE, KV, IN_FLIGHT, LATENCY, PREFIX);

    private record Weighted(Scorer scorer, double weight) {
    }

    private final List<Weighted> scorers = new ArrayList<>();
    private final PrefixIndex index;

    public Scored(PoolOptions options) {
        add(new QueueScorer(), options.number(QUEUE));
        add(new KvCacheScorer(), options.number(KV));
        add(new InFlightScorer(), options.number(IN_FLIGHT));
        add(new LatencyScorer(), options.number(LATENCY));
        double prefix = options.number(PREFIX);
        index = prefix > 0 ? new PrefixIndex(PrefixAffinity.INDEX_BLOCKS) : null;
        if (index != null) {
            add(new PrefixScorer(index), prefix);
        }
        if (scorers.isEmpty()) {
            throw new IllegalArgumentException("scored: every weight is 0; give at least one scorer a weight");
        }
    }

    private static PoolOption weight(String name, String defaultValue, String scores) {
        return PoolOption.number(name, defaultValue, "weight of the score of " + scores + "; 0 turns it off");
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
