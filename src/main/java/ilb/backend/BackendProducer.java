package ilb.backend;

import ilb.inference.ExchangeProperties;
import ilb.inference.InferenceRequest;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultAsyncProducer;

/**
 * Sends the exchange's {@link InferenceRequest} to the backend, in the backend's protocol ({@link BackendClients}),
 * and puts what came back in its place: a
 * {@link ilb.inference.HttpReply}, a {@link ilb.inference.BackendStream} or a
 * {@link ilb.inference.BackendFailure}. Failures are data, not exceptions: the balancer decides what they mean.
 */
final class BackendProducer extends DefaultAsyncProducer {

    BackendProducer(BackendEndpoint endpoint) {
        super(endpoint);
    }

    @Override
    public BackendEndpoint getEndpoint() {
        return (BackendEndpoint) super.getEndpoint();
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        if (!(exchange.getMessage().getBody() instanceof InferenceRequest request)) {
            exchange.setException(new IllegalArgumentException(
                    getEndpoint().getEndpointUri() + " expects an InferenceRequest body"));
            callback.done(true);
            return true;
        }
        // an entry found by DNS has several: the balancer says which it chose
        Backend target = exchange.getProperty(ExchangeProperties.TARGET, Backend.class);
        BackendSettings settings = (target != null ? target : getEndpoint().soleBackend()).settings();
        TimeLimits limits = TimeLimits.of(settings, exchange.getProperty(ExchangeProperties.DEADLINE_NANOS, Long.class),
                System.nanoTime());
        getEndpoint().getComponent().clients().send(settings, request, limits, response -> {
            exchange.getMessage().setBody(response);
            callback.done(false);
        });
        return false;
    }
}
