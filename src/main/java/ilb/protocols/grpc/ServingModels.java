package ilb.protocols.grpc;

import java.util.HashSet;
import java.util.Set;

import ilb.balancer.InferenceLoadBalancer;
import ilb.routing.ModelEndpoint;
import ilb.telemetry.RunningPools;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;

/**
 * Which models have a backend in rotation now ({@link InferenceLoadBalancer#backendsInRotation}), by the pools whose
 * routes run: what the gRPC health service says of each model.
 */
public final class ServingModels {

    private final RunningPools pools;

    public ServingModels(RunningPools pools) {
        this.pools = pools;
    }

    /** The models (own names) of which a running pool has a backend in rotation. */
    Set<String> inRotation(CamelContext context) {
        Set<String> models = new HashSet<>();
        pools.byId().forEach((pool, balancer) -> {
            // read at each call: a pool is not yet among the context's routes while it starts
            Route route = context.getRoute(pool);
            if (route != null && route.getEndpoint() instanceof ModelEndpoint endpoint
                    && balancer.backendsInRotation() > 0) {
                models.add(endpoint.model());
            }
        });
        return models;
    }
}
