package ilb.routing;

import java.util.List;

import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.support.DefaultConsumer;

/** The start of a model's route: registered in the catalog while the route runs. */
final class ModelConsumer extends DefaultConsumer {

    ModelConsumer(ModelEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
    }

    @Override
    public ModelEndpoint getEndpoint() {
        return (ModelEndpoint) super.getEndpoint();
    }

    String model() {
        return getEndpoint().model();
    }

    List<String> aliases() {
        return getEndpoint().aliases();
    }

    String version() {
        return getEndpoint().version();
    }

    void process(Exchange exchange, AsyncCallback callback) {
        getAsyncProcessor().process(exchange, callback);
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        getEndpoint().getComponent().catalog().register(this);
    }

    @Override
    protected void doStop() throws Exception {
        getEndpoint().getComponent().catalog().unregister(this);
        super.doStop();
    }
}
