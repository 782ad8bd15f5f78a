package ilb.balancer;

import ilb.backend.Backend;
import ilb.inference.InferenceMessage;
import ilb.inference.InferenceRequest;

/**
 * Told what each request came to, for telemetry: every attempt at a backend, and the answer the client gets. Called
 * on the thread that has the response, often a Netty event loop: it must not block.
 */
public interface RequestObserver {

    /**
     * An attempt at {@code backend} got {@code response}: a whole reply, a stream that has just started, or a
     * failure.
     *
     * @param tenant    the caller's tenant name
     * @param sentNanos {@link System#nanoTime()} when the attempt was sent
     */
    void answered(Backend backend, InferenceRequest request, String tenant, long sentNanos, InferenceMessage response);

    /**
     * The balancer is done with the request: {@code response} goes to the client (a stream has its first token).
     *
     * @param arrivedNanos {@link System#nanoTime()} when the request reached the balancer
     */
    void finished(InferenceRequest request, String tenant, long arrivedNanos, InferenceMessage response);

    /**
     * A request was hedged ({@link HedgeDelay}): {@code won} when its answer came from the hedge, not from the backend
     * it was first sent to.
     *
     * @param pool the pool's route id
     */
    void hedged(String pool, InferenceRequest request, boolean won);
}
