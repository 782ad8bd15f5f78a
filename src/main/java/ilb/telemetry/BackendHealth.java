package ilb.telemetry;

import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

import ilb.backend.Backend;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Every backend's health under {@code /observe/health}, as its active checks and ejections found it: a report, not a
 * verdict on ilb, so it is always UP and counts for neither liveness nor readiness ({@link ModelReadiness} does).
 */
public final class BackendHealth extends AbstractHealthCheck {

    private final Supplier<Collection<Backend>> backends;

    public BackendHealth(Supplier<Collection<Backend>> backends) {
        super("ilb", "backends");
        this.backends = backends;
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
        for (Backend backend : backends.get()) {
            String health = backend.health();
            states.put(backend.id(), backend.isDrained() ? "DRAINED, " + health : health);
        }
        long inRotation = backends.get().stream().filter(b -> b.inRotation(now)).count();
        builder.details(states);
        builder.message(inRotation + " of " + states.size() + " backends in rotation: " + states).up();
    }
}
