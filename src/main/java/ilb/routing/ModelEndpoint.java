package ilb.routing;

import java.util.Arrays;
import java.util.List;

import ilb.admission.Tenant;
import org.apache.camel.CamelContext;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.model.Model;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.support.DefaultEndpoint;

/**
 * {@code model:<name>[?aliases=a,b&version=2&stage=experimental&weight=5&shadow=0.1]}: as a consumer, the route that
 * serves the model (the version, if given; any version otherwise), in a stage, with a canary weight or a shadow share
 * ({@link VersionSettings}). As a producer, {@code model:*} sends to the model the request names and
 * {@code model:<name>} to that model.
 */
public class ModelEndpoint extends DefaultEndpoint {

    static final String REQUESTED = "*";

    private final String model;
    private List<String> aliases = List.of();
    private String version = "";
    private String stage = Tenant.PRODUCTION;
    private Integer weight;
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
        return aliases;
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

    /** Other names clients may use for the model, comma-separated. */
    public void setAliases(String aliases) {
        this.aliases = Arrays.stream(aliases.split(",")).map(String::trim).filter(a -> !a.isEmpty()).toList();
    }

    /** The model version this route serves (KServe {@code /versions/<v>}); empty means any. */
    public void setVersion(String version) {
        this.version = version.trim();
    }

    /** {@code production} (default) or {@code experimental}: only tenants that reach the stage are served here. */
    public void setStage(String stage) {
        this.stage = stage.trim();
    }

    /** This version's canary weight against the model's other versions: an integer, 0 or more. */
    public void setWeight(int weight) {
        this.weight = weight;
    }

    /** The share (0 to 1) of the model's requests also copied to this version, whose answers are discarded. */
    public void setShadow(double shadow) {
        this.shadow = shadow;
    }
}
