package ilb.policies;

import java.util.List;

import ilb.backend.Backend;
import ilb.inference.InferenceRequest;

/**
 * Requests ilb has in flight at the backend, against its capacity. Always known and current to the request, so
 * it also keeps a burst that arrives between two scrapes from all landing on one backend.
 */
final class InFlightScorer implements Scorer {

    @Override
    public double[] score(List<Backend> candidates, InferenceRequest request, long nowNanos) {
        double[] scores = new double[candidates.size()];
        for (int i = 0; i < scores.length; i++) {
            Backend backend = candidates.get(i);
            scores[i] = Math.min(1, (double) backend.inFlight() / backend.capacity());
        }
        return scores;
    }
}
