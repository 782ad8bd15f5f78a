package ilb.telemetry;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import ilb.routing.ModelEndpoint;
import org.apache.camel.Route;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Whether ilb is ready ({@code /observe/health/ready}), by its models' backends in rotation (up, not ejected, not
 * drained, breaker not open). With {@code everyModel}, only while every model has one: an ilb cut off from one
 * model's servers (a zone's network) leaves its traffic to ilbs that can reach them. Otherwise while any model has
 * one: ilbs that share a fleet then do not all leave their load balancer's rotation, and take the models still
 * served with them, when one model's servers are all gone. The check's data lists each model's backends in rotation.
 * Once ilb is shutting down ({@link #shuttingDown()}) it is never ready again, so that its load balancers stop
 * sending to it while it still serves.
 */
public final class ModelReadiness extends AbstractHealthCheck {

    private final RunningPools pools;
    private final boolean everyModel;
    private volatile boolean shuttingDown;

    /** @param everyModel whether every model must have a backend in rotation, or only one */
    public ModelReadiness(RunningPools pools, boolean everyModel) {
        super("ilb", "models");
        this.pools = pools;
        this.everyModel = everyModel;
    }

    /** From now on not ready, whatever the backends: ilb is shutting down (ilb.ShutdownDrain). */
    public void shuttingDown() {
        shuttingDown = true;
    }

    @Override
    public boolean isLiveness() {
        // a model without backends is no reason to restart ilb
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        if (shuttingDown) {
            builder.message("shutting down: serving the requests in flight, taking no new ones soon").down();
            return;
        }
        Map<String, Object> inRotation = new TreeMap<>();
        List<String> without = new ArrayList<>();
        pools.byId().forEach((pool, balancer) -> {
            String model = model(pool);
            int usable = balancer.backendsInRotation();
            inRotation.put(model, usable + " of " + balancer.backends().size() + " backends in rotation");
            if (usable == 0) {
                without.add(model);
            }
        });
        builder.details(inRotation);
        int served = inRotation.size() - without.size();
        if (without.isEmpty()) {
            builder.message(served + " models, each with a backend in rotation").up();
        } else if (everyModel || served == 0) {
            builder.message("no backend in rotation for " + String.join(", ", without)).down();
        } else {
            builder.message("no backend in rotation for " + String.join(", ", without) + "; ready for the "
                    + served + " other models").up();
        }
    }

    private String model(String pool) {
        Route route = getCamelContext().getRoute(pool);
        return route != null && route.getEndpoint() instanceof ModelEndpoint endpoint ? endpoint.model() : pool;
    }
}
