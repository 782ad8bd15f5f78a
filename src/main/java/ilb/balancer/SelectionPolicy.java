package ilb.balancer;

import java.util.List;

import ilb.backend.Backend;
import ilb.inference.InferenceRequest;

/**
 * Picks the backend for a request among those of one tier that can take it now. The balancer keeps one policy
 * instance per tier, so a policy may keep state about that tier's backends; it must be thread-safe.
 */
public interface SelectionPolicy {

    /** One of {@code candidates}, which is never empty, for {@code request}. */
    Backend choose(List<Backend> candidates, InferenceRequest request);

    /** The request is on its way to {@code backend} (which the policy may or may not have chosen). */
    default void sent(InferenceRequest request, Backend backend) {
    }
}
