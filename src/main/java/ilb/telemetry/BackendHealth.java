package ilb.telemetry;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import ilb.backend.Backend;
import ilb.balancer.InferenceLoadBalancer;
import ilb.balancer.PoolListener;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * The health of every backend of the pools running now under {@code /observe/health}, as its active checks and
 * ejections found it: a report, not a verdict on ilb, so it is always UP and counts for neither liveness nor
 * readiness ({@link ModelReadiness} does).
 */
public final class BackendHealth extends AbstractHealthCheck implements PoolListener {

    private final Map<String, InferenceLoadBalancer> pools = new ConcurrentHashMap<>();

    public BackendHealth() {
        super("ilb", "backends");
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
    public boolean isLiveness() {
        return false;
    }

    @Override
    public boolean isReadiness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        long now = System.nanoTime();
        Map<String, Object> states = new TreeMap<>();
        long inRotation = 0;
        for (InferenceLoadBalancer balancer : pools.values()) {
            for (Backend backend : balancer.backends()) {
                if (states.put(backend.id(), backend.isDrained() ? "DRAINED, " + backend.health() : backend.health())
                        == null && backend.inRotation(now)) {
                    inRotation++;
                }
            }
        }
        builder.details(states);
        builder.message(inRotation + " of " + states.size() + " backends in rotation: " + states).up();
    }
}
