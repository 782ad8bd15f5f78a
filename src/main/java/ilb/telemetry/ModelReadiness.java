package ilb.telemetry;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import ilb.balancer.InferenceLoadBalancer;
import ilb.balancer.PoolListener;
import ilb.routing.ModelEndpoint;
import org.apache.camel.Route;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * ilb is ready ({@code /observe/health/ready}) when every model it serves has a backend in rotation: up, not
 * ejected, not drained, its breaker not open. Otherwise a load balancer in front of several ilbs should send to
 * another one. The check's data lists each model's backends in rotation.
 */
public final class ModelReadiness extends AbstractHealthCheck implements PoolListener {

    private final Map<String, InferenceLoadBalancer> pools = new ConcurrentHashMap<>();

    public ModelReadiness() {
        super("ilb", "models");
    }

    @Override
    public boolean isLiveness() {
        // a model without backends is no reason to restart ilb
        return false;
    }

    @Override
    public void started(String pool, InferenceLoadBalancer balancer) {
        pools.put(pool, balancer);
    }

    @Override
    public void stopped(String pool, InferenceLoadBalancer balancer) {
        pools.remove(pool, balancer);
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        long now = System.nanoTime();
        Map<String, Object> inRotation = new TreeMap<>();
        StringBuilder without = new StringBuilder();
        pools.forEach((pool, balancer) -> {
            String model = model(pool);
            long usable = balancer.backends().stream().filter(b -> b.inRotation(now)).count();
            inRotation.put(model, usable + " of " + balancer.backends().size() + " backends in rotation");
            if (usable == 0) {
                without.append(without.length() == 0 ? "" : ", ").append(model);
            }
        });
        builder.details(inRotation);
        if (without.length() == 0) {
            builder.message(pools.size() + " models, each with a backend in rotation").up();
        } else {
            builder.message("no backend in rotation for " + without).down();
        }
    }

    private String model(String pool) {
        Route route = getCamelContext().getRoute(pool);
        return route != null && route.getEndpoint() instanceof ModelEndpoint endpoint ? endpoint.model() : pool;
    }
}
