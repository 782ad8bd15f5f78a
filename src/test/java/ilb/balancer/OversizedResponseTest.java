package ilb.balancer;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import ilb.Appliance;
import ilb.Servers;
import ilb.backend.Backend;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static ilb.Appliance.attempts;
import static ilb.Appliance.chat;
import static ilb.Appliance.counts;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A response larger than ilb takes is ilb's limit, not the backend's fault: answered 502 response_too_large, not
 * tried elsewhere (it would be as large there), and never held against the backend.
 */
class OversizedResponseTest {

    private final Servers servers = new Servers();

    @AfterEach
    void stop() throws Exception {
        servers.close();
    }

    @Test
    void oversizedResponsesNeitherOpenBreakersNorEjectBackends() {
        SimulatedBackend a = servers.backend(new SimulatorOptions().models("m").ttftMs(1).itlMs(0.05));
        SimulatedBackend b = servers.backend(new SimulatorOptions().models("m").ttftMs(1).itlMs(0.05));
        // a breaker that would open after 4 failures in 4 calls; ejection after 5 in a row (the default)
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("a", a), backend("b", b)),
                "camel.component.backend.maxResponseBytes=2000",
                "camel.component.backend.breakerSlidingWindowSize=4",
                "camel.component.backend.breakerMinimumNumberOfCalls=4");
        // six for each backend: more than ejectAfterFailures, more than the breaker's window
        int oversized = 12;

        List<String> outcomes = new ArrayList<>();
        for (int i = 0; i < oversized; i++) {
            // 500 words of completion: well over 2000 bytes
            HttpResponse<String> response = ilb.post("/v1/chat/completions", chat("m", 500));
            outcomes.add(response.statusCode() + " attempts=" + attempts(response));
            assertThat(response.body()).contains("\"code\":\"response_too_large\"").contains("2000 bytes");
        }

        assertThat(counts(outcomes)).containsExactly(Map.entry("502 attempts=1", (long) oversized));
        // each was sent once: none was retried on the other backend
        assertThat(a.inferenceRequests() + b.inferenceRequests()).isEqualTo(oversized);
        for (String id : List.of("a", "b")) {
            Backend backend = ilb.backend(id);
            assertThat(backend.breaker().getState()).isEqualTo(CircuitBreaker.State.CLOSED);
            assertThat(backend.breaker().getMetrics().getNumberOfFailedCalls()).isZero();
            assertThat(backend.health()).isEqualTo("UP");
            assertThat(backend.inFlight()).isZero();
        }
        // small responses are served by both, as before
        assertThat(ilb.servedBy(4)).containsExactlyInAnyOrder("a", "a", "b", "b");
    }
}
