package ilb.routing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import ilb.Ilb;
import ilb.IlbConfiguration;
import ilb.backend.BackendEndpoint;
import org.apache.camel.FailedToStartRouteException;
import org.apache.camel.Route;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.Model;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.model.RouteDefinitionHelper;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.support.DefaultRegistry;
import org.apache.camel.support.PluginHelper;

/**
 * Checks a route file offline, as a reload would take it: the YAML, each endpoint's options ({@code backend:} and
 * {@code model:} take no unknown ones), each pool's policy and its options, unique route ids. The routes are made
 * in a CamelContext wired as ilb's ({@link IlbConfiguration}) that is never started: no port is opened, no backend
 * or Kafka broker is contacted. What only a running ilb can tell (a TLS file that cannot be read) is not checked.
 */
public final class RouteFileCheck {

    /** What would otherwise start with the context, or contact something while it is wired. */
    private static final Map<String, String> OFFLINE = Map.of("ilb.demo.fleet", "false", "ilb.console.enabled",
            "false", "ilb.batch.enabled", "false", "ilb.limits.redis", "", "camel.main.routesReloadEnabled", "false",
            // a check needs no tenant: without one, ilb would refuse to start
            "ilb.auth.enabled", "false");

    /** A file's routes, or why they would not load. */
    public record Result(Path file, List<String> routeIds, int backends, String error) {

        public boolean ok() {
            return error == null;
        }

        @Override
        public String toString() {
            return file + ": " + (ok() ? "ok (" + routeIds.size() + (routeIds.size() == 1 ? " route: " : " routes: ")
                    + String.join(", ", routeIds) + (backends > 0 ? "; " + backends + (backends == 1 ? " backend"
                    : " backends") : "") + ")" : error);
        }
    }

    private RouteFileCheck() {
    }

    public static Result check(Path file) throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            context.disableJMX();
            // as Camel Main's: IlbConfiguration adds a bean repository (the pools' balancers) to it
            context.getCamelContextExtension().setRegistry(new DefaultRegistry(new ArrayList<>()));
            PropertiesComponent properties = context.getPropertiesComponent();
            properties.setLocation("classpath:application.properties");
            Ilb.operatorProperties().forEach((name, value) -> properties.addOverrideProperty((String) name,
                    (String) value));
            OFFLINE.forEach(properties::addOverrideProperty);
            IlbConfiguration configuration = new IlbConfiguration();
            PluginHelper.getBeanPostProcessor(context).postProcessBeforeInitialization(configuration,
                    "ilbConfiguration");
            configuration.configure(context);
            try {
                List<String> routeIds = routes(context, file);
                int backends = (int) context.getEndpoints().stream().filter(BackendEndpoint.class::isInstance).count();
                return new Result(file, routeIds, backends, null);
            } catch (Exception e) {
                return new Result(file, List.of(), 0, message(e));
            }
        }
    }

    /**
     * The exception's message as a reload logs it, and its causes' where it does not already say them (a YAML error's
     * line and column are in its cause only).
     */
    private static String message(Throwable e) {
        StringBuilder message = new StringBuilder(e.getMessage() != null ? e.getMessage() : e.toString());
        for (Throwable cause = e.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            if (cause.getMessage() != null && message.indexOf(cause.getMessage()) < 0) {
                message.append(": ").append(cause.getMessage());
            }
        }
        return message.toString();
    }

    /** Loads the file's routes and makes each, as Camel does for a route it is about to start. */
    private static List<String> routes(DefaultCamelContext context, Path file) throws Exception {
        PluginHelper.getRoutesLoader(context).loadRoutes(PluginHelper.getResourceLoader(context)
                .resolveResource("file:" + file));
        List<RouteDefinition> definitions = context.getRouteDefinitions();
        RouteDefinitionHelper.forceAssignIds(context, definitions);
        List<String> ids = new ArrayList<>();
        for (RouteDefinition definition : definitions) {
            String duplicate = RouteDefinitionHelper.validateUniqueIds(definition, definitions);
            if (duplicate != null) {
                // Camel's own words when it starts such routes
                throw new FailedToStartRouteException(duplicate, "duplicate id detected: " + duplicate
                        + ". Please correct ids to be unique among all your routes.");
            }
            Route route = context.getCamelContextExtension().getContextPlugin(Model.class).getModelReifierFactory()
                    .createRoute(context, definition);
            route.initializeServices();
            ids.add(route.getRouteId());
        }
        return ids;
    }
}
