package ilb.routing;

import ilb.inference.InferenceRequest;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultAsyncProducer;

/** Hands an {@link InferenceRequest} to the route that serves its model (see {@link ModelCatalog#dispatch}). */
final class ModelProducer extends DefaultAsyncProducer {

    ModelProducer(ModelEndpoint endpoint) {
        super(endpoint);
    }

    @Override
    public ModelEndpoint getEndpoint() {
        return (ModelEndpoint) super.getEndpoint();
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        if (!(exchange.getMessage().getBody() instanceof InferenceRequest request)) {
            exchange.setException(new IllegalArgumentException("model: expects an InferenceRequest body"));
            callback.done(true);
            return true;
        }
        String model = ModelEndpoint.REQUESTED.equals(getEndpoint().model()) ? request.model() : getEndpoint().model();
        getEndpoint().getComponent().catalog().dispatch(model, request.version(), exchange, callback);
        return false;
    }
}
