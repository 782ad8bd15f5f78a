package ilb.telemetry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import ilb.balancer.InferenceLoadBalancer;
import ilb.balancer.PoolListener;

/** The pools whose routes run now, by route id: what the health checks look at. */
public final class RunningPools implements PoolListener {

    private final Map<String, InferenceLoadBalancer> pools = new ConcurrentHashMap<>();

    @Override
    public void started(String pool, InferenceLoadBalancer balancer) {
        pools.put(pool, balancer);
    }

    @Override
    public void stopped(String pool, InferenceLoadBalancer balancer) {
        // a reloaded route's new balancer may have started first
        pools.remove(pool, balancer);
    }

    /** Each running pool's balancer, by the pool's route id. */
    public Map<String, InferenceLoadBalancer> byId() {
        return pools;
    }
}
