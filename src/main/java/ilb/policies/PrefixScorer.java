package ilb.policies;

import java.util.List;

import ilb.backend.Backend;
import ilb.inference.InferenceRequest;

/**
 * The share of the prompt's blocks a backend was not sent lately ({@link PrefixIndex}): 0 where the whole prompt
 * is likely cached, 1 where none of it is. Every candidate scores 0 for a prompt too short to have a block.
 */
final class PrefixScorer implements Scorer {

    private final PrefixIndex index;

    PrefixScorer(PrefixIndex index) {
        this.index = index;
    }

    @Override
    public double[] score(List<Backend> candidates, InferenceRequest request, long nowNanos) {
        int blocks = request.prefix().blocks();
        double[] scores = new double[candidates.size()];
        if (blocks == 0) {
            return scores;
        }
        int[] matched = index.matches(request.prefix(), candidates);
        for (int i = 0; i < scores.length; i++) {
            scores[i] = 1 - (double) matched[i] / blocks;
        }
        return scores;
    }
}
