package ilb.policies;

import java.util.List;
import java.util.random.RandomGenerator;
import java.util.function.ToDoubleFunction;

import ilb.backend.Backend;

/**
 * The power of two choices: draw two distinct candidates at random and keep the one with the lower load. Nearly
 * as good as asking every backend for the least loaded, without herding all requests onto the same one.
 */
final class TwoChoices {

    private TwoChoices() {
    }

    static Backend choose(List<Backend> candidates, RandomGenerator random, ToDoubleFunction<Backend> load) {
        int size = candidates.size();
        if (size == 1) {
            return candidates.get(0);
        }
        int first = random.nextInt(size);
        int second = random.nextInt(size - 1);
        if (second >= first) {
            second++;
        }
        Backend a = candidates.get(first);
        Backend b = candidates.get(second);
        return load.applyAsDouble(b) < load.applyAsDouble(a) ? b : a;
    }
}
