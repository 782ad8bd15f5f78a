package ilb.routing;

import java.util.Map;

import org.apache.camel.Endpoint;
import org.apache.camel.spi.annotations.Component;
import org.apache.camel.support.DefaultComponent;

/**
 * The {@code model:} component. {@code from: model:llama-3.1-8b?aliases=llama3} makes a route the one that serves
 * that model; {@code to: model:*} hands a request to the route serving the model it names.
 */
@Component("model")
public class ModelComponent extends DefaultComponent {

    private final ModelCatalog catalog;

    public ModelComponent(ModelCatalog catalog) {
        this.catalog = catalog;
    }

    public ModelCatalog catalog() {
        return catalog;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        ModelEndpoint endpoint = new ModelEndpoint(uri, this, remaining);
        setProperties(endpoint, parameters);
        return endpoint;
    }
}
