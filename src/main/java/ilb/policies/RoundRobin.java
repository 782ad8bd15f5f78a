package ilb.policies;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import ilb.backend.Backend;
import ilb.balancer.SelectionPolicy;
import ilb.inference.InferenceRequest;

/** Each backend in turn, weights ignored. */
public final class RoundRobin implements SelectionPolicy {

    private final AtomicInteger next = new AtomicInteger();

    @Override
    public Backend choose(List<Backend> candidates, InferenceRequest request) {
        return candidates.get(Math.floorMod(next.getAndIncrement(), candidates.size()));
    }
}
