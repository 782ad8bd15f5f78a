package ilb.backend;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One model server and everything ilb knows about it now: requests in flight, its circuit breaker, latency,
 * health, and whether it asked to be left alone for a while (429 + Retry-After). Kept by name across route reloads.
 */
public final class Backend {

    private static final Logger LOG = LoggerFactory.getLogger(Backend.class);

    /** Whether a backend can take a request now, and if not, why not. */
    public enum Availability { AVAILABLE, FULL, COOLING, BREAKER_OPEN, DOWN }

    private volatile BackendSettings settings;
    private final CircuitBreaker breaker;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final LatencyEwma latency = new LatencyEwma(TimeUnit.SECONDS.toNanos(10));
    private final List<Runnable> releaseListeners = new CopyOnWriteArrayList<>();
    private volatile long coolUntilNanos;
    private volatile String downReason;
    private volatile long downUntilNanos;
    private volatile BackendTelemetry telemetry = BackendTelemetry.NONE;

    public Backend(BackendSettings settings, CircuitBreakerConfig breakerConfig) {
        this.settings = settings;
        this.breaker = CircuitBreaker.of(settings.id(), breakerConfig);
        breaker.getEventPublisher().onStateTransition(event -> LOG.info("backend {} circuit breaker {}",
                settings.id(), event.getStateTransition().getToState()));
    }

    public String id() {
        return settings.id();
    }

    public BackendSettings settings() {
        return settings;
    }

    void update(BackendSettings newSettings) {
        this.settings = newSettings;
    }

    public int inFlight() {
        return inFlight.get();
    }

    public LatencyEwma latency() {
        return latency;
    }

    /**
     * What the backend's metrics said lately, or {@link BackendTelemetry#NONE} if its last scrape is no longer
     * fresh ({@link BackendSettings#telemetryFreshMillis()}): then only what ilb counts itself is to be trusted.
     */
    public BackendTelemetry telemetry(long nowNanos) {
        BackendTelemetry last = telemetry;
        long staleAfter = TimeUnit.MILLISECONDS.toNanos(settings.telemetryFreshMillis());
        return last.known() && nowNanos - last.scrapedNanos() <= staleAfter ? last : BackendTelemetry.NONE;
    }

    void telemetry(BackendTelemetry telemetry) {
        this.telemetry = telemetry;
    }

    public CircuitBreaker breaker() {
        return breaker;
    }

    public boolean isDown() {
        return downReason != null && downUntilNanos - System.nanoTime() > 0;
    }

    /**
     * Takes the backend out until a health check finds it up again; without health checks, for one health
     * interval, so that a passing failure cannot remove it for good.
     */
    public synchronized void markDown(String reason) {
        if (!isDown()) {
            LOG.info("backend {} DOWN: {}", id(), reason);
        }
        downUntilNanos = System.nanoTime() + (settings.healthPath().isEmpty()
                ? TimeUnit.MILLISECONDS.toNanos(settings.healthIntervalMillis()) : Long.MAX_VALUE / 2);
        downReason = reason;
    }

    public synchronized void markUp() {
        if (downReason != null) {
            LOG.info("backend {} UP", id());
            downReason = null;
            notifyRelease();
        }
    }

    /** The backend said it is full (429): send it nothing for a while. */
    public void coolFor(long millis) {
        coolUntilNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    }

    /** Milliseconds until the backend wants requests again; 0 if it is not cooling. */
    public long coolingMillis(long nowNanos) {
        return Math.max(0, TimeUnit.NANOSECONDS.toMillis(coolUntilNanos - nowNanos));
    }

    public Availability availability(long nowNanos) {
        if (isDown()) {
            return Availability.DOWN;
        }
        if (breaker.getState() == CircuitBreaker.State.OPEN || breaker.getState() == CircuitBreaker.State.FORCED_OPEN) {
            return Availability.BREAKER_OPEN;
        }
        if (coolUntilNanos - nowNanos > 0) {
            return Availability.COOLING;
        }
        if (inFlight.get() >= settings.capacity()) {
            return Availability.FULL;
        }
        return Availability.AVAILABLE;
    }

    /** Takes a place for one request, if the backend can take one now; {@code null} if it cannot. */
    public Lease tryAcquire() {
        int capacity = settings.capacity();
        if (inFlight.get() >= capacity || !breaker.tryAcquirePermission()) {
            return null;
        }
        int current;
        do {
            current = inFlight.get();
            if (current >= capacity) {
                breaker.releasePermission();
                return null;
            }
        } while (!inFlight.compareAndSet(current, current + 1));
        return new Lease(this);
    }

    void release() {
        inFlight.decrementAndGet();
        notifyRelease();
    }

    /** Runs whenever a place frees up or the backend comes back, so that waiting requests can go. */
    public void onRelease(Runnable listener) {
        releaseListeners.add(listener);
    }

    public void removeReleaseListener(Runnable listener) {
        releaseListeners.remove(listener);
    }

    private void notifyRelease() {
        releaseListeners.forEach(Runnable::run);
    }

    @Override
    public String toString() {
        return settings.toString();
    }
}
