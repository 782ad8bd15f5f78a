package ilb.routing;

import java.util.Arrays;
import java.util.List;

import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;

/**
 * {@code model:<name>[?aliases=a,b&version=2]}: as a consumer, the route that serves the model (the version, if
 * given; any version otherwise). As a producer, {@code model:*} sends to the model the request names and
 * {@code model:<name>} to that model.
 */
public class ModelEndpoint extends DefaultEndpoint {

    static final String REQUESTED = "*";

    private final String model;
    private List<String> aliases = List.of();
    private String version = "";

    ModelEndpoint(String uri, ModelComponent component, String model) {
        super(uri, component);
        this.model = model;
    }

    @Override
    public ModelComponent getComponent() {
        return (ModelComponent) super.getComponent();
    }

    /** The model's own name, which the route serves. */
    public String model() {
        return model;
    }

    List<String> aliases() {
        return aliases;
    }

    String version() {
        return version;
    }

    @Override
    public Producer createProducer() {
        return new ModelProducer(this);
    }

    @Override
    public Consumer createConsumer(Processor processor) {
        if (REQUESTED.equals(model)) {
            throw new IllegalArgumentException("model:* can only be sent to; a route serves a named model");
        }
        return new ModelConsumer(this, processor);
    }

    @Override
    public boolean isLenientProperties() {
        return false;
    }

    /** Other names clients may use for the model, comma-separated. */
    public void setAliases(String aliases) {
        this.aliases = Arrays.stream(aliases.split(",")).map(String::trim).filter(a -> !a.isEmpty()).toList();
    }

    /** The model version this route serves (KServe {@code /versions/<v>}); empty means any. */
    public void setVersion(String version) {
        this.version = version.trim();
    }
}
