package ilb.policies;

import java.util.List;

import ilb.backend.Backend;
import ilb.inference.InferenceRequest;

/**
 * The server's KV-cache use (0..1): a nearly full cache means preemptions and recomputation soon. 0 when the
 * server's metrics are unknown.
 */
final class KvCacheScorer implements Scorer {

    @Override
    public double[] score(List<Backend> candidates, InferenceRequest request, long nowNanos) {
        double[] scores = new double[candidates.size()];
        for (int i = 0; i < scores.length; i++) {
            double usage = candidates.get(i).telemetry(nowNanos).kvCacheUsage();
            scores[i] = Double.isNaN(usage) ? 0 : Math.min(1, Math.max(0, usage));
        }
        return scores;
    }
}
