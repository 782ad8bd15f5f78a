package ilb.routing;

import java.util.Arrays;
import java.util.List;

import ilb.admission.Tenant;
import org.apache.camel.CamelContext;
import org.apache.camel.Category;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.model.Model;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriPath;
import org.apache.camel.support.DefaultEndpoint;

/**
 * A model, by its name: as a consumer, the route that serves the model (one version of it if given, else any) under
 * that name and its aliases, in a stage, with a canary weight or a shadow share ({@link VersionSettings}). As a
 * producer, sends to the model it names or, named by an asterisk, to the model each request names.
 */
// the javadoc above is the component's description in Camel tooling (the generated metadata): plain text
@UriEndpoint(firstVersion = "0.1.0", scheme = "model", title = "Model", syntax = "model:name",
        category = {Category.AI}, remote = false)
public class ModelEndpoint extends DefaultEndpoint {

    static final String REQUESTED = "*";

    // descriptions in plain text: the plugin drops what is in <>, [] and a *
    @UriPath(name = "name", description = "The model's own name, which the route serves; as a producer, an"
            + " asterisk for the model each request names")
    @Metadata(required = true)
    private final String model;
    @UriParam(label = "consumer", description = "Other names clients may use for the model, comma-separated")
    private String aliases = "";
    @UriParam(label = "consumer", defaultValue = "", description = "The model version this route serves (KServe"
            + " /versions/VERSION); empty: any")
    private String version = "";
    @UriParam(label = "consumer", enums = Tenant.PRODUCTION + "," + Tenant.EXPERIMENTAL,
            defaultValue = Tenant.PRODUCTION, description = "Only tenants that reach the stage are served here")
    private String stage = Tenant.PRODUCTION;
    @UriParam(label = "consumer", description = "This version's canary weight against the model's other versions:"
            + " an integer, 0 or more; none: while no version has a weight, the newest serves")
    private Integer weight;
    @UriParam(label = "consumer", defaultValue = "0", description = "The share (0 to 1) of the model's requests"
            + " also copied to this version, whose answers are discarded")
    private double shadow;

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
        return Arrays.stream(aliases.split(",")).map(String::trim).filter(a -> !a.isEmpty()).toList();
    }

    String version() {
        return version;
    }

    String stage() {
        return stage;
    }

    /**
     * The stage of the pool route {@code routeId}: production unless its {@code model:} endpoint says otherwise.
     */
    public static String stageOfRoute(CamelContext context, String routeId) {
        ModelEndpoint endpoint = ofRoute(context, routeId);
        return endpoint != null ? endpoint.stage : Tenant.PRODUCTION;
    }

    /**
     * The {@code model:} endpoint the route {@code routeId} consumes from, or null. Read from the route's definition,
     * as the route is not yet among the context's routes while it starts.
     */
    static ModelEndpoint ofRoute(CamelContext context, String routeId) {
        RouteDefinition route = context.getCamelContextExtension().getContextPlugin(Model.class)
                .getRouteDefinition(routeId);
        return route != null && context.getEndpoint(route.getInput().getEndpointUri()) instanceof ModelEndpoint endpoint
                ? endpoint : null;
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
        VersionSettings settings;
        try {
            settings = new VersionSettings(version, stage, weight, shadow);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("model:" + model + ": " + e.getMessage(), e);
        }
        return new ModelConsumer(this, processor, settings);
    }

    @Override
    public boolean isLenientProperties() {
        return false;
    }

    // The options, described by the fields' @UriParam; Camel's generated configurer sets and reads them by these

    public String getAliases() {
        return aliases;
    }

    public void setAliases(String aliases) {
        this.aliases = aliases;
    }

    public String getVersion() {
        return version;
    }

    public void setVersion(String version) {
        this.version = version.trim();
    }

    public String getStage() {
        return stage;
    }

    public void setStage(String stage) {
        this.stage = stage.trim();
    }

    public Integer getWeight() {
        return weight;
    }

    public void setWeight(Integer weight) {
        this.weight = weight;
    }

    public double getShadow() {
        return shadow;
    }

    public void setShadow(double shadow) {
        this.shadow = shadow;
    }
}
