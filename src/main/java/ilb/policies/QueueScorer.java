package ilb.policies;

import java.util.List;

import ilb.backend.Backend;
import ilb.backend.BackendTelemetry;
import ilb.inference.InferenceRequest;

/**
 * Requests waiting at the server for a place in its batch (its own queue, which other clients fill too), against
 * its capacity: 0 with none waiting, towards 1 as the queue grows. 0 when the server's metrics are unknown.
 */
final class QueueScorer implements Scorer {

    @Override
    public double[] score(List<Backend> candidates, InferenceRequest request, long nowNanos) {
        double[] scores = new double[candidates.size()];
        for (int i = 0; i < scores.length; i++) {
            Backend backend = candidates.get(i);
            BackendTelemetry telemetry = backend.telemetry(nowNanos);
            double waiting = Double.isNaN(telemetry.waiting()) ? 0 : telemetry.waiting();
            scores[i] = waiting / (waiting + backend.capacity());
        }
        return scores;
    }
}
