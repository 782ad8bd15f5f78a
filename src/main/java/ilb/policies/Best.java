package ilb.policies;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntBinaryOperator;

import ilb.backend.Backend;

/**
 * The best of the candidates by a policy's own order; exact ties go to the less loaded ({@link LeastRequest#load}),
 * then to chance, so that equal backends share the load instead of the first in the list taking it all.
 */
final class Best {

    private Best() {
    }

    /**
     * @param compare {@code compare(i, j)} below 0 when candidate {@code i} is better than {@code j}, 0 when the policy
     *                cannot tell them apart
     */
    static Backend of(List<Backend> candidates, IntBinaryOperator compare) {
        int best = 0;
        int ties = 1;
        for (int i = 1; i < candidates.size(); i++) {
            int order = compare.applyAsInt(i, best);
            if (order == 0) {
                order = Double.compare(LeastRequest.load(candidates.get(i)), LeastRequest.load(candidates.get(best)));
            }
            if (order < 0) {
                best = i;
                ties = 1;
            } else if (order == 0 && ThreadLocalRandom.current().nextInt(++ties) == 0) {
                best = i;
            }
        }
        return candidates.get(best);
    }
}
