package ilb.backend;

import java.net.URI;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;

/** Backends for unit tests: live state without a server behind it. */
public final class Backends {

    private Backends() {
    }

    public static Backend backend(String id, int weight, int capacity) {
        return new Backend(new BackendSettings(id, URI.create("http://127.0.0.1:1"), 0, weight, capacity, "/health",
                "/metrics", "", "", 1000, 1000, 1000, null), CircuitBreakerConfig.ofDefaults());
    }
}
