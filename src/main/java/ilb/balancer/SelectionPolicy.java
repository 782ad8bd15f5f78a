package ilb.balancer;

import java.util.List;

import ilb.backend.Backend;
import ilb.inference.InferenceMessage;
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

    /**
     * The attempt at {@code backend}, sent at {@code sentNanos} ({@link System#nanoTime()}), got {@code response}: a
     * whole reply, a stream whose first chunk has just come, or a failure. Called on the thread that has the
     * response, often an event loop: it must not block.
     */
    default void answered(InferenceRequest request, Backend backend, long sentNanos, InferenceMessage response) {
    }
}
