package ilb.admission;

import java.util.concurrent.atomic.AtomicBoolean;

import ilb.inference.BackendStream;
import ilb.inference.ExchangeProperties;
import ilb.inference.HttpReply;
import ilb.inference.InferenceMessage;
import ilb.inference.InferenceRequest;
import ilb.telemetry.TokenUsage;
import org.apache.camel.Exchange;
import org.apache.camel.Route;
import org.apache.camel.support.SynchronizationAdapter;
import org.apache.camel.spi.SynchronizationRouteAware;

/**
 * What one admitted request holds of its tenant's limits (its concurrency place, its estimated tokens) until its
 * response is over; then it settles, once: the tokens really used (prompt and completion, from the response's
 * {@code usage}; without one, the estimate for the prompt and one token per generated event) correct the estimate,
 * a failed request gives its estimate back, and the place is given back.
 * <p>
 * Rides on the exchange as an on-completion. The response is known when the first route the request passes ends
 * with one in its body: its model's pool route (the balancer's answer, and a stream still unsubscribed, so that its
 * every chunk is counted), else the entry route (ilb answered itself: an unknown version, a request parked for a
 * reloading route that timed out). Should none do, the exchange's completion settles it as failed.
 */
final class LimitGrant extends SynchronizationAdapter implements SynchronizationRouteAware {

    private final LimitStore limits;
    private final Tenant tenant;
    private final long estimate;
    private final AtomicBoolean over = new AtomicBoolean();

    LimitGrant(LimitStore limits, Tenant tenant, long estimate) {
        this.limits = limits;
        this.tenant = tenant;
        this.estimate = estimate;
    }

    @Override
    public void onAfterRoute(Route route, Exchange exchange) {
        Object body = exchange.getMessage().getBody();
        if (exchange.getException() == null && body instanceof InferenceMessage
                && !(body instanceof InferenceRequest)) {
            responseOver(body, fromBackend(exchange));
        }
    }

    @Override
    public void onBeforeRoute(Route route, Exchange exchange) {
        // nothing is known of the response before a route has run
    }

    @Override
    public void onDone(Exchange exchange) {
        responseOver(exchange.getException() == null ? exchange.getMessage().getBody() : null, fromBackend(exchange));
    }

    /** The request's own, not a copy's (a shadow, an aggregate): it settles where it was granted. */
    @Override
    public boolean allowHandover() {
        return false;
    }

    @Override
    public SynchronizationRouteAware getRouteSynchronization() {
        return this;
    }

    /** Whether a backend was tried for the request: else ilb answered it itself, and the request is given back. */
    private static boolean fromBackend(Exchange exchange) {
        return exchange.getProperty(ExchangeProperties.BACKEND) != null;
    }

    /**
     * Settles for {@code response} (a stream: when it ends, however), unless settled already.
     *
     * @param fromBackend whether a backend was tried: a request ilb answered itself (shed, no backend free, a batch
     *                    job without spare capacity, which will come again) does not count against the minute
     */
    void responseOver(Object response, boolean fromBackend) {
        if (!over.compareAndSet(false, true)) {
            return;
        }
        if (response instanceof BackendStream stream) {
            // both on the stream's event loop, one after the other
            TokenUsage usage = new TokenUsage();
            stream.tap(usage::chunk);
            stream.whenDone(normally -> settle(usage.total(estimate), true));
        } else if (response instanceof HttpReply reply && reply.status() / 100 == 2) {
            TokenUsage usage = new TokenUsage();
            usage.reply(reply.body());
            settle(usage.total(estimate), true);
        } else {
            // refused by the backend, failed, or never served: it used nothing
            settle(0, fromBackend);
        }
    }

    private void settle(long used, boolean fromBackend) {
        limits.settle(tenant, used - estimate, !fromBackend);
    }
}
