package ilb.balancer;

import java.net.http.HttpResponse;

import ilb.Appliance;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static ilb.Appliance.chat;
import static ilb.Appliance.servedBy;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A failing backend's breaker opens, the backend is skipped (not tried), and it comes back through half-open. */
class CircuitBreakerTest {

    private final Servers servers = new Servers();

    @AfterEach
    void stop() throws Exception {
        servers.close();
    }

    @Test
    void opensOnAFailingBackendAndRecoversThroughHalfOpen() {
        SimulatedBackend failing = servers.fastBackend();
        SimulatedBackend healthy = servers.fastBackend();
        failing.faults().errorRate(1.0).errorStatus(503);
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("failing", failing), backend("healthy", healthy)),
                "camel.component.backend.breakerSlidingWindowSize=4",
                "camel.component.backend.breakerMinimumNumberOfCalls=4",
                "camel.component.backend.breakerOpenDuration=500ms",
                "camel.component.backend.breakerHalfOpenCalls=2");
        CircuitBreaker breaker = ilb.backend("failing").breaker();

        // every request succeeds: the ones that meet the failing backend are retried on the healthy one
        while (failing.inferenceRequests() < 4) {
            assertThat(ilb.post("/v1/chat/completions", chat("m", 2)).statusCode()).isEqualTo(200);
        }
        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);

        // open: skipped, not tried
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> response = ilb.post("/v1/chat/completions", chat("m", 2));
            assertThat(servedBy(response)).isEqualTo("healthy");
            assertThat(Appliance.attempts(response)).isEqualTo(1);
        }
        assertThat(failing.inferenceRequests()).isEqualTo(4);

        // healed: after the open period a few probes go through, and their success closes the breaker
        failing.faults().errorRate(0);
        await().until(() -> breaker.getState() == CircuitBreaker.State.HALF_OPEN);
        await().until(() -> {
            ilb.post("/v1/chat/completions", chat("m", 2));
            return breaker.getState() == CircuitBreaker.State.CLOSED;
        });
        assertThat(ilb.servedBy(4)).contains("failing", "healthy");
    }
}
