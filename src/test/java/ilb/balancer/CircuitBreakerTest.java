package ilb.balancer;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import ilb.Appliance;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreaker.StateTransition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static ilb.Appliance.attempts;
import static ilb.Appliance.chat;
import static ilb.Appliance.servedBy;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A failing backend's breaker opens, the backend is skipped (not tried), and it comes back through half-open. The
 * breaker counts calls (a window of 4), so what it does follows from the requests sent, never from how fast they go.
 */
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
        // open for an hour: it stays open until the test ends the open period
        Appliance ilb = ilbWithBreakers(failing, healthy, "1h");
        CircuitBreaker breaker = ilb.backend("failing").breaker();
        List<StateTransition> transitions = transitionsOf(breaker);

        openByFourFailures(ilb, failing, transitions);

        // open: skipped, not tried
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> response = ilb.post("/v1/chat/completions", chat("m", 2));
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(servedBy(response)).isEqualTo("healthy");
            assertThat(attempts(response)).isEqualTo(1);
        }
        assertThat(failing.inferenceRequests()).isEqualTo(4);
        assertThat(transitions).containsExactly(StateTransition.CLOSED_TO_OPEN);

        // healed, and the open period over (what its end does): two probes go through, and their success closes it
        failing.faults().errorRate(0);
        breaker.transitionToHalfOpenState();
        closeByTwoProbes(ilb, failing, transitions);
        assertThat(ilb.servedBy(4)).contains("failing", "healthy");
    }

    @Test
    void theOpenPeriodEndsByItself() {
        SimulatedBackend failing = servers.fastBackend();
        SimulatedBackend healthy = servers.fastBackend();
        failing.faults().errorRate(1.0).errorStatus(503);
        Appliance ilb = ilbWithBreakers(failing, healthy, "100ms");
        CircuitBreaker breaker = ilb.backend("failing").breaker();
        List<StateTransition> transitions = transitionsOf(breaker);

        openByFourFailures(ilb, failing, transitions);
        failing.faults().errorRate(0);

        // no request is sent until the breaker, by itself, lets probes through
        await().until(() -> transitions.size() == 2);
        assertThat(transitions).containsExactly(StateTransition.CLOSED_TO_OPEN, StateTransition.OPEN_TO_HALF_OPEN);
        assertThat(failing.inferenceRequests()).isEqualTo(4);
        closeByTwoProbes(ilb, failing, transitions);
    }

    private Appliance ilbWithBreakers(SimulatedBackend failing, SimulatedBackend healthy, String openDuration) {
        return servers.ilb(pool("m", "round-robin", backend("failing", failing), backend("healthy", healthy)),
                "camel.component.backend.breakerSlidingWindowSize=4",
                "camel.component.backend.breakerMinimumNumberOfCalls=4",
                "camel.component.backend.breakerOpenDuration=" + openDuration,
                "camel.component.backend.breakerHalfOpenCalls=2");
    }

    private static List<StateTransition> transitionsOf(CircuitBreaker breaker) {
        List<StateTransition> transitions = new CopyOnWriteArrayList<>();
        breaker.getEventPublisher().onStateTransition(event -> transitions.add(event.getStateTransition()));
        return transitions;
    }

    /** Every request succeeds: the ones that meet the failing backend are retried on the healthy one. */
    private static void openByFourFailures(Appliance ilb, SimulatedBackend failing, List<StateTransition> transitions) {
        while (failing.inferenceRequests() < 4) {
            HttpResponse<String> response = ilb.post("/v1/chat/completions", chat("m", 2));
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(servedBy(response)).isEqualTo("healthy");
        }
        assertThat(failing.inferenceRequests()).isEqualTo(4);
        await().until(() -> !transitions.isEmpty());
        // the first: with a short open period, the next may follow at any time
        assertThat(transitions.get(0)).isEqualTo(StateTransition.CLOSED_TO_OPEN);
    }

    /** Half-open with two probes allowed: requests until the failing backend had two more, all served. */
    private static void closeByTwoProbes(Appliance ilb, SimulatedBackend failing, List<StateTransition> transitions) {
        int before = transitions.size();
        while (failing.inferenceRequests() < 6) {
            HttpResponse<String> response = ilb.post("/v1/chat/completions", chat("m", 2));
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(attempts(response)).isEqualTo(1);
        }
        assertThat(failing.inferenceRequests()).isEqualTo(6);
        await().until(() -> transitions.size() == before + 1);
        assertThat(transitions.get(before)).isEqualTo(StateTransition.HALF_OPEN_TO_CLOSED);
        assertThat(ilb.backend("failing").breaker().getState()).isEqualTo(CircuitBreaker.State.CLOSED);
    }
}
