package ilb.policies;

import java.util.List;

import ilb.backend.Backend;
import ilb.inference.InferenceRequest;

/**
 * Observed latency (peak EWMA) against the fastest candidate's: 0 for the fastest, towards 1 for one many times
 * slower. A backend not measured yet scores 0, so that it gets tried.
 */
final class LatencyScorer implements Scorer {

    @Override
    public double[] score(List<Backend> candidates, InferenceRequest request, long nowNanos) {
        double[] latency = new double[candidates.size()];
        double fastest = Double.MAX_VALUE;
        for (int i = 0; i < latency.length; i++) {
            latency[i] = candidates.get(i).latency().cost(nowNanos);
            if (latency[i] > 0) {
                fastest = Math.min(fastest, latency[i]);
            }
        }
        double[] scores = new double[latency.length];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = latency[i] > 0 ? 1 - fastest / latency[i] : 0;
        }
        return scores;
    }
}
