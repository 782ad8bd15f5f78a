package ilb.backend;

import java.net.URI;

import ilb.inference.Protocol;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;

/** Backends for unit tests: live state without a server behind it. */
public final class Backends {

    private Backends() {
    }

    public static Backend backend(String id, int weight, int capacity) {
        return new Backend(new BackendSettings(id, URI.create("http://127.0.0.1:1"), Protocol.HTTP, 0, weight,
                capacity, "/health", "/metrics", "", "", 1000, 1000, 1000, 1000, 200, null),
                CircuitBreakerConfig.ofDefaults(), new OutlierEjection(0, 0, 0));
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

    /** Takes {@code requests} places at the backend, as requests in flight would. */
    public static void occupy(Backend backend, int requests) {
        for (int i = 0; i < requests; i++) {
            backend.tryAcquire();
        }
    }
}
