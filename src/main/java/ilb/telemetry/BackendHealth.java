package ilb.telemetry;

import java.util.Map;
import java.util.TreeMap;

import ilb.backend.Backend;
import ilb.balancer.InferenceLoadBalancer;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * The health of every backend of the pools running now under {@code /observe/health}, as its active checks and
 * ejections found it: a report, not a verdict on ilb, so it is always UP and counts for neither liveness nor
 * readiness ({@link ModelReadiness} does).
 */
public final class BackendHealth extends AbstractHealthCheck {

    private final RunningPools pools;

    public BackendHealth(RunningPools pools) {
        super("ilb", "backends");
        this.pools = pools;
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
        for (InferenceLoadBalancer balancer : pools.byId().values()) {
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
