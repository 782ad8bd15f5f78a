package ilb.balancer;

import ilb.inference.InferenceRequest;
import io.netty.util.concurrent.DefaultPromise;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import io.netty.util.concurrent.ImmediateEventExecutor;

/**
 * The stop signal of one attempt that may race another (a hedge): it completes when the client goes away, or when
 * the attempt is called off because the other answered first. Given to the backend clients as the request's
 * {@link InferenceRequest#clientGone()}, it makes them close the attempt's connection (or cancel its gRPC call), so
 * that the server drops the sequence, without the client's connection being touched.
 */
final class AttemptCancel implements GenericFutureListener<Future<Object>> {

    private final Future<?> clientGone;
    /** Completed on whichever thread stops the attempt; the backend clients move onto their own loops. */
    private final DefaultPromise<Void> signal = new DefaultPromise<>(ImmediateEventExecutor.INSTANCE);

    @SuppressWarnings("unchecked")
    AttemptCancel(InferenceRequest request) {
        this.clientGone = request.clientGone();
        if (clientGone != null) {
            ((Future<Object>) clientGone).addListener(this);
        }
    }

    /** The request as this attempt sends it: stopped by this signal rather than by the client's. */
    InferenceRequest request(InferenceRequest request) {
        return request.onConnection(request.session(), signal);
    }

    /** Calls the attempt off: its backend call stops, if it has not answered yet. */
    void cancel() {
        signal.trySuccess(null);
    }

    /** The attempt is over: no longer listens for the client going (a keep-alive connection serves many requests). */
    @SuppressWarnings("unchecked")
    void close() {
        if (clientGone != null) {
            ((Future<Object>) clientGone).removeListener(this);
        }
    }

    /** The client went away: so does the attempt. */
    @Override
    public void operationComplete(Future<Object> gone) {
        cancel();
    }
}
