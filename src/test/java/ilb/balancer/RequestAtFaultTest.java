package ilb.balancer;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import ilb.Appliance;
import ilb.Servers;
import ilb.backend.Backend;
import ilb.simulator.SimulatedBackend;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static ilb.Appliance.attempts;
import static ilb.Appliance.counts;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A request that could not be sent upstream as written (a version with a space) is answered 400 at once, from its
 * path alone, and costs its backends nothing: no breaker error, no step towards ejection, not marked down.
 * (UnwritableRequestTest shows the backend client itself failing such a request at once.)
 */
class RequestAtFaultTest {

    private static final String INFER = "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,3],\"datatype\":\"FP32\","
            + "\"data\":[1.0,2.0,3.0]}]}";

    private final Servers servers = new Servers();

    @AfterEach
    void stop() throws Exception {
        servers.close();
    }

    @Test
    void aVersionWithASpaceIsTheRequestsFaultNotTheBackends() {
        SimulatedBackend a = servers.fastBackend();
        SimulatedBackend b = servers.fastBackend();
        // a hang would last the backends' timeout; the client gives up well before that and fails the test
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("a", a, "timeout: 10m"),
                backend("b", b, "timeout: 10m")));
        // more than ejectAfterFailures (5) and the breaker's window (10 calls at least) would need
        int requests = 12;

        List<String> outcomes = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            HttpResponse<String> response = ilb.send(ilb.request("/v2/models/m/versions/1%20x/infer")
                    .timeout(Duration.ofSeconds(30)).header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(INFER)).build());
            outcomes.add(response.statusCode() + " attempts=" + attempts(response));
            assertThat(response.body()).contains("single path segments");
        }

        assertThat(counts(outcomes)).containsExactly(Map.entry("400 attempts=0", (long) requests));
        assertThat(a.inferenceRequests() + b.inferenceRequests()).isZero();
        for (String id : List.of("a", "b")) {
            Backend backend = ilb.backend(id);
            CircuitBreaker.Metrics calls = backend.breaker().getMetrics();
            assertThat(calls.getNumberOfFailedCalls() + calls.getNumberOfSuccessfulCalls()).isZero();
            assertThat(backend.breaker().getState()).isEqualTo(CircuitBreaker.State.CLOSED);
            assertThat(backend.health()).isEqualTo("UP");
            assertThat(backend.inFlight()).isZero();
        }
        // and they serve as before
        assertThat(ilb.servedBy(2)).containsExactlyInAnyOrder("a", "b");
    }
}
