package ilb.backend;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import ilb.inference.InferenceRequest;
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
    public enum Availability {
        AVAILABLE, FULL, COOLING, BREAKER_OPEN, EJECTED, DOWN, DRAINED;

        /** The first reason, most lasting first, why a backend in this state cannot take a request; or none. */
        public static Availability of(boolean drained, boolean down, boolean ejected, boolean breakerOpen,
                boolean cooling, boolean full) {
            if (drained) {
                return DRAINED;
            }
            if (down) {
                return DOWN;
            }
            if (ejected) {
                return EJECTED;
            }
            if (breakerOpen) {
                return BREAKER_OPEN;
            }
            if (cooling) {
                return COOLING;
            }
            return full ? FULL : AVAILABLE;
        }
    }

    private volatile BackendSettings settings;
    private final CircuitBreaker breaker;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final LongAdder sent = new LongAdder();
    private final LatencyEwma latency = new LatencyEwma(TimeUnit.SECONDS.toNanos(10));
    private final ServiceProfile profile = new ServiceProfile();
    private final RecentAttempts recent = new RecentAttempts();
    private final List<Runnable> releaseListeners = new CopyOnWriteArrayList<>();
    private volatile long coolUntilNanos;
    private volatile String downReason;
    private volatile long downUntilNanos;
    private volatile BackendTelemetry telemetry = BackendTelemetry.NONE;
    private final OutlierEjection ejection;
    private volatile boolean drained;
    /** Its server left the DNS answer that made it a backend: no new requests, as if drained. */
    private volatile boolean leaving;
    private volatile HealthCheck healthCheck;
    private final LearnedCapacity learned;
    private final List<Runnable> capacitySettingListeners = new CopyOnWriteArrayList<>();

    /** @param learnedCeiling the highest a learned limit may grow (the component's {@code capacity}) */
    public Backend(BackendSettings settings, CircuitBreakerConfig breakerConfig, OutlierEjection ejection,
            int learnedCeiling) {
        this.settings = settings;
        this.ejection = ejection;
        this.learned = new LearnedCapacity(settings.id(), learnedCeiling);
        this.breaker = CircuitBreaker.of(settings.id(), breakerConfig);
        breaker.getEventPublisher().onStateTransition(event -> LOG.info("backend {} circuit breaker {}",
                settings.id(), event.getStateTransition().getToState()));
    }

    public String id() {
        return settings.id();
    }

    /** Whether it can serve the request at all: a backend over gRPC speaks KServe v2 only, not OpenAI. */
    public boolean serves(InferenceRequest request) {
        return BackendClients.Passage.of(settings.protocol(), request) != BackendClients.Passage.NONE;
    }

    public BackendSettings settings() {
        return settings;
    }

    synchronized void update(BackendSettings newSettings) {
        BackendSettings old = settings;
        this.settings = newSettings;
        if (old.capacity() != newSettings.capacity()) {
            capacitySettingListeners.forEach(Runnable::run);
            // a higher limit lets waiting requests go
            notifyRelease();
        }
    }

    /** Runs when a route reload changed the backend's capacity setting, e.g. to label its meters anew. */
    public void onCapacitySetting(Runnable listener) {
        capacitySettingListeners.add(listener);
    }

    /**
     * The most requests it may have in flight now: its {@code capacity} if written, else the limit ilb learns
     * ({@link LearnedCapacity}).
     */
    public int capacity() {
        int configured = settings.capacity();
        return configured > 0 ? configured : learned.limit();
    }

    /**
     * How many requests its server runs at once, as far as ilb knows: its capacity, or less while a learned limit
     * probes past the batch its server's metrics showed. Requests in flight beyond it wait at the server.
     */
    public int places() {
        int configured = settings.capacity();
        return configured > 0 ? configured : learned.places();
    }

    public CapacitySource capacitySource() {
        return settings.capacity() > 0 ? CapacitySource.CONFIGURED : CapacitySource.LEARNED;
    }

    /**
     * One attempt's outcome, for the learned limit.
     *
     * @param latencyNanos   as its lease saw it: for a stream, its time to first token
     * @param inFlightAtSend requests in flight here when it was sent, itself included
     * @param failed         whether the backend failed it: counted as a slow sample
     */
    void observed(long latencyNanos, int inFlightAtSend, boolean failed, long nowNanos) {
        if (capacitySource() == CapacitySource.LEARNED) {
            learned.sample(latencyNanos, inFlightAtSend, failed, nowNanos);
        }
    }

    public int inFlight() {
        return inFlight.get();
    }

    /** Requests sent to the backend since ilb started, retries included. */
    public long requestsSent() {
        return sent.sum();
    }

    public LatencyEwma latency() {
        return latency;
    }

    /** What its attempts came to over the last minute: what the console shows. */
    public RecentAttempts recent() {
        return recent;
    }

    /** How fast it served ilb's requests lately: what predictions of a request's latency there rest on. */
    public ServiceProfile profile() {
        return profile;
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
        if (capacitySource() == CapacitySource.LEARNED
                && learned.scraped(telemetry, TimeUnit.MILLISECONDS.toNanos(settings.telemetryFreshMillis()))) {
            notifyRelease();
        }
    }

    public CircuitBreaker breaker() {
        return breaker;
    }

    /** Whether the backend has failed too many requests in a row lately ({@link OutlierEjection}). */
    public boolean isEjected() {
        return ejection.ejected(System.nanoTime());
    }

    /** A request to the backend failed: too many in a row eject it for a while. */
    void failed(String reason) {
        long ejectedMillis = ejection.failed(reason, System.nanoTime());
        if (ejectedMillis > 0) {
            LOG.info("backend {} ejected for {} s: {}", id(), ejectedMillis / 1000.0, ejection.reason());
            // requests waiting for a place may take it again once the ejection is over
            CompletableFuture.delayedExecutor(ejectedMillis, TimeUnit.MILLISECONDS).execute(this::notifyRelease);
        }
    }

    void succeeded() {
        ejection.succeeded();
    }

    /** Whether an operator has drained the backend: it gets no new requests, and those in flight finish. */
    public boolean isDrained() {
        return drained;
    }

    /** No new requests, until {@link #undrain()}; requests in flight finish. Kept across route reloads. */
    public void drain() {
        if (!drained) {
            drained = true;
            LOG.info("backend {} drained: no new requests ({} in flight finish)", id(), inFlight());
        }
    }

    /** Its server left the DNS answer of its group: it takes no new request, and those in flight finish. */
    void leaves() {
        leaving = true;
    }

    /** Its server is back in the DNS answer of its group (or of the group of a reloaded route) before it was removed. */
    void stays() {
        if (leaving) {
            leaving = false;
            notifyRelease();
        }
    }

    boolean isLeaving() {
        return leaving;
    }

    /**
     * Whether it left its group and has no request in flight: none can start any more (a request that took a place
     * as it left gives it back, {@link #tryAcquire}), so it can be removed.
     */
    boolean idleAfterLeaving() {
        return leaving && inFlight.get() == 0;
    }

    public void undrain() {
        if (drained) {
            drained = false;
            LOG.info("backend {} undrained", id());
            notifyRelease();
        }
    }

    /** Changes the backend's weight until its route file is next loaded. */
    public synchronized void changeWeight(int weight) {
        settings = settings.withWeight(weight);
        LOG.info("backend {} weight set to {}", id(), weight);
    }

    /** Closes the breaker and forgets ejections and cooling: an operator vouches for the backend. */
    public void reset() {
        breaker.reset();
        ejection.reset(System.nanoTime());
        coolUntilNanos = System.nanoTime();
        LOG.info("backend {} breaker and ejections reset", id());
        notifyRelease();
    }

    /**
     * Checks the backend's health path now, rather than at its next interval: what the check found, and the
     * backend's health after it.
     */
    public CompletableFuture<String> checkHealthNow() {
        HealthCheck check = healthCheck;
        return check == null ? CompletableFuture.completedFuture("no health path; backend " + health())
                : check.now().thenApply(found -> found + "; backend " + health());
    }

    void healthCheck(HealthCheck check) {
        this.healthCheck = check;
    }

    /** Stops using the health check, if it is still this one: a reloaded route's endpoint may have replaced it. */
    void noHealthCheck(HealthCheck check) {
        if (healthCheck == check) {
            healthCheck = null;
        }
    }

    /** The backend's health in a few words: up, down (and why) or ejected (for how long, and why). */
    public String health() {
        long now = System.nanoTime();
        String reason = downReason;
        if (reason != null && isDown()) {
            return "DOWN: " + reason;
        }
        if (ejection.ejected(now)) {
            return "EJECTED for " + (ejection.remainingMillis(now) + 999) / 1000 + " s more: " + ejection.reason();
        }
        return "UP";
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

    /** A server that joins its group out of rotation until its first health check passes; said once it is UP. */
    synchronized void downUntilChecked() {
        downUntilNanos = Long.MAX_VALUE / 2 + System.nanoTime();
        downReason = "joining: its first health check has not passed yet";
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

    /** Nanoseconds until the backend wants requests again; 0 if it is not cooling. */
    public long coolingNanos(long nowNanos) {
        return Math.max(0, coolUntilNanos - nowNanos);
    }

    /** Milliseconds until the backend wants requests again; 0 if it is not cooling. */
    public long coolingMillis(long nowNanos) {
        return TimeUnit.NANOSECONDS.toMillis(coolingNanos(nowNanos));
    }

    /** Whether its breaker lets no request through now (open, or forced open by an operator). */
    public boolean breakerOpen() {
        CircuitBreaker.State state = breaker.getState();
        return state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.FORCED_OPEN;
    }

    public Availability availability(long nowNanos) {
        return Availability.of(drained || leaving, isDown(), ejection.ejected(nowNanos), breakerOpen(),
                coolUntilNanos - nowNanos > 0, inFlight.get() >= capacity());
    }

    /**
     * Whether the backend is in rotation: up, not ejected, not drained, its breaker not open. It may still be
     * full or cooling for a moment.
     */
    public boolean inRotation(long nowNanos) {
        return switch (availability(nowNanos)) {
            case AVAILABLE, FULL, COOLING -> true;
            default -> false;
        };
    }

    /** Takes a place for one request, if the backend can take one now; {@code null} if it cannot. */
    public Lease tryAcquire() {
        int capacity = capacity();
        if (drained || leaving || inFlight.get() >= capacity || !breaker.tryAcquirePermission()) {
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
        if (leaving) {
            // it left as this request took its place: removing it may have seen no request in flight
            inFlight.decrementAndGet();
            breaker.releasePermission();
            return null;
        }
        sent.increment();
        return new Lease(this, current + 1);
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
