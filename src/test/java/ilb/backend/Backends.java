package ilb.backend;

import java.net.URI;

import ilb.inference.Protocol;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;

/** Backends for unit tests: live state without a server behind it. */
public final class Backends {

    private Backends() {
    }

    /** @param capacity 0 for none written: the backend learns its limit, up to 64 */
    public static Backend backend(String id, int weight, int capacity) {
        return new Backend(settings(id, weight, capacity), CircuitBreakerConfig.ofDefaults(),
                new OutlierEjection(0, 0, 0), 64);
    }

    /** Loads the backend's route file again with another capacity (0: none written). */
    public static void rewriteCapacity(Backend backend, int capacity) {
        backend.update(settings(backend.id(), backend.settings().weight(), capacity));
    }

    private static BackendSettings settings(String id, int weight, int capacity) {
        return new BackendSettings(id, URI.create("http://127.0.0.1:1"), Protocol.HTTP, 0, weight, capacity,
                "/health", "/metrics", "", "", 1000, 1000, 1000, 1000, 200, null, null);
    }

    /** Sets what the backend's metrics said, as a scrape just now would. */
    public static void reports(Backend backend, double waiting, double running, double kvCacheUsage,
            double ttftSeconds, double tpotSeconds, double e2eSeconds) {
        backend.telemetry(new BackendTelemetry(System.nanoTime(), waiting, running, kvCacheUsage, ttftSeconds,
                tpotSeconds, e2eSeconds));
    }

    /** Sets telemetry scraped long enough ago to be stale. */
    public static void reportedLongAgo(Backend backend, double waiting) {
        backend.telemetry(new BackendTelemetry(System.nanoTime() - 60_000_000_000L, waiting, 0, 0, 0, 0, 0));
    }

    /**
     * For a backend with no capacity written: its server showed a full batch of {@code batch} long enough ago that
     * the hold is over, and now runs as many with nothing waiting, so its learned limit probes past it.
     */
    public static void probingPast(Backend backend, int batch) {
        long longAgo = System.nanoTime() - 60_000_000_000L;
        while (backend.capacity() != batch) {
            backend.telemetry(new BackendTelemetry(longAgo, 1, batch, 0.1, Double.NaN, Double.NaN, Double.NaN));
        }
        reports(backend, 0, batch, 0.1, Double.NaN, Double.NaN, Double.NaN);
    }

    /** Takes {@code requests} places at the backend, as requests in flight would. */
    public static void occupy(Backend backend, int requests) {
        for (int i = 0; i < requests; i++) {
            backend.tryAcquire();
        }
    }
}
