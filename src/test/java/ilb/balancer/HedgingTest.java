package ilb.balancer;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

import ilb.Appliance;
import ilb.Servers;
import ilb.inference.InferenceRequest;
import ilb.inference.Priority;
import ilb.inference.Protocol;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static ilb.Appliance.attempts;
import static ilb.Appliance.chat;
import static ilb.Appliance.servedBy;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static ilb.PoolRoute.route;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A request whose backend gives no first byte within the hedge delay is also sent to another backend: the first to
 * answer wins, and the other call is stopped (its connection closed, its gRPC call cancelled), so the server drops
 * the sequence. The frozen backend here is a simulator whose first token would take ten minutes; it sits in the
 * first tier, so that every request goes to it first.
 */
class HedgingTest {

    private static final String KSERVE_INFER = "{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP32\","
            + "\"data\":[1]}]}";

    private final Servers servers = new Servers();

    @AfterEach
    void stop() throws Exception {
        servers.close();
    }

    private SimulatedBackend frozen(Protocol protocol) {
        return servers.backend(new SimulatorOptions().protocol(protocol).models("m").ttftMs(600_000).itlMs(1));
    }

    private SimulatedBackend healthy(Protocol protocol) {
        return servers.backend(new SimulatorOptions().protocol(protocol).models("m").ttftMs(1).itlMs(1));
    }

    /** The frozen backend first, the healthy one behind it, hedged after 20 ms. */
    private Appliance ilb(SimulatedBackend frozen, SimulatedBackend healthy, String... properties) {
        return servers.ilb(pool("m", "round-robin?hedgeAfter=20ms", backend("frozen", frozen, "tier: 0"),
                backend("healthy", healthy, "tier: 1")), properties);
    }

    private static double hedges(Appliance ilb, String outcome) {
        MeterRegistry meters = ilb.context().getRegistry().lookupByNameAndType(
                MicrometerConstants.METRICS_REGISTRY_NAME, MeterRegistry.class);
        return meters.find("ilb.hedges").tag("pool", "pool-m").tag("outcome", outcome).counters().stream()
                .mapToDouble(Counter::count).sum();
    }

    /** Every request went to the frozen backend, was hedged, and its call there was stopped and held against it. */
    private static void assertEveryRequestHedged(Appliance ilb, SimulatedBackend frozen, int requests) {
        assertThat(frozen.inferenceRequests()).isEqualTo(requests);
        await().untilAsserted(() -> {
            assertThat(frozen.cancelledCalls()).isEqualTo(requests);
            assertThat(frozen.running()).isZero();
            assertThat(ilb.backend("frozen").inFlight()).isZero();
            assertThat(ilb.backend("healthy").inFlight()).isZero();
            // the slow attempt counts against its backend, not as the client's going away
            assertThat(ilb.backend("frozen").breaker().getMetrics().getNumberOfFailedCalls()).isEqualTo(requests);
        });
        assertThat(hedges(ilb, "won")).isEqualTo(requests);
        assertThat(hedges(ilb, "lost")).isZero();
    }

    @Test
    void aFrozenBackendsRequestsAreAnsweredByTheHedge() {
        SimulatedBackend frozen = frozen(Protocol.HTTP);
        SimulatedBackend healthy = healthy(Protocol.HTTP);
        Appliance ilb = ilb(frozen, healthy);

        for (int i = 0; i < 3; i++) {
            HttpResponse<String> response = ilb.post("/v1/chat/completions", chat("m", 2));
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(servedBy(response)).isEqualTo("healthy");
            assertThat(attempts(response)).isEqualTo(2);
        }

        assertThat(healthy.inferenceRequests()).isEqualTo(3);
        assertEveryRequestHedged(ilb, frozen, 3);
    }

    @Test
    void aStreamIsHedgedToo() throws IOException {
        SimulatedBackend frozen = frozen(Protocol.HTTP);
        SimulatedBackend healthy = healthy(Protocol.HTTP);
        Appliance ilb = ilb(frozen, healthy);

        for (int i = 0; i < 2; i++) {
            HttpResponse<InputStream> response = ilb.openStream("m", 3);
            try (InputStream body = response.body()) {
                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(servedBy(response)).isEqualTo("healthy");
                assertThat(attempts(response)).isEqualTo(2);
                assertThat(new String(body.readAllBytes(), StandardCharsets.UTF_8)).contains("[DONE]");
            }
        }

        assertThat(healthy.inferenceRequests()).isEqualTo(2);
        assertEveryRequestHedged(ilb, frozen, 2);
    }

    @Test
    void aGrpcBackendsCallIsCancelled() {
        SimulatedBackend frozen = frozen(Protocol.GRPC);
        SimulatedBackend healthy = healthy(Protocol.GRPC);
        Appliance ilb = ilb(frozen, healthy);

        for (int i = 0; i < 2; i++) {
            HttpResponse<String> response = ilb.post("/v2/models/m/infer", KSERVE_INFER);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(servedBy(response)).isEqualTo("healthy");
            assertThat(attempts(response)).isEqualTo(2);
        }

        assertThat(healthy.inferenceRequests()).isEqualTo(2);
        assertEveryRequestHedged(ilb, frozen, 2);
    }

    @Test
    void aHedgeThatLosesIsCalledOffAndNotHeldAgainstItsBackend() {
        // slow, not frozen: its first token comes 2 s in, long after the hedge went to the frozen backend
        SimulatedBackend slow = servers.backend(new SimulatorOptions().models("m").ttftMs(2000).itlMs(1));
        SimulatedBackend frozen = frozen(Protocol.HTTP);
        Appliance ilb = servers.ilb(pool("m", "round-robin?hedgeAfter=20ms", backend("slow", slow, "tier: 0"),
                backend("frozen", frozen, "tier: 1")));

        HttpResponse<String> response = ilb.post("/v1/chat/completions", chat("m", 2));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(servedBy(response)).isEqualTo("slow");
        assertThat(attempts(response)).isEqualTo(2);
        assertThat(frozen.inferenceRequests()).isEqualTo(1);
        await().untilAsserted(() -> {
            assertThat(frozen.cancelledCalls()).isEqualTo(1);
            assertThat(ilb.backend("frozen").inFlight()).isZero();
        });
        // the hedge was not late: it was sent late
        assertThat(ilb.backend("frozen").breaker().getMetrics().getNumberOfFailedCalls()).isZero();
        assertThat(ilb.backend("slow").breaker().getMetrics().getNumberOfSuccessfulCalls()).isEqualTo(1);
        assertThat(hedges(ilb, "lost")).isEqualTo(1);
        assertThat(hedges(ilb, "won")).isZero();
    }

    @Test
    void aStreamWhoseFirstTokenCameIsNotHedged() throws IOException {
        // the first token at once, then 10 more 200 ms apart: the stream lasts well past the hedge delay
        SimulatedBackend slow = servers.backend(new SimulatorOptions().models("m").ttftMs(1).itlMs(200));
        SimulatedBackend other = healthy(Protocol.HTTP);
        Appliance ilb = servers.ilb(pool("m", "round-robin?hedgeAfter=1s", backend("slow", slow, "tier: 0"),
                backend("other", other, "tier: 1")));

        HttpResponse<InputStream> response = ilb.openStream("m", 10);
        try (InputStream body = response.body()) {
            assertThat(new String(body.readAllBytes(), StandardCharsets.UTF_8)).contains("[DONE]");
        }

        assertThat(servedBy(response)).isEqualTo("slow");
        assertThat(attempts(response)).isEqualTo(1);
        assertThat(other.inferenceRequests()).isZero();
        assertThat(hedges(ilb, "won") + hedges(ilb, "lost")).isZero();
    }

    @Test
    void aBatchJobIsNeverHedged() {
        SimulatedBackend frozen = frozen(Protocol.HTTP);
        SimulatedBackend healthy = healthy(Protocol.HTTP);
        Appliance ilb = servers.ilb(route("pool-m", "model:m", """
                        - setBody:
                            expression:
                              method:
                                beanType: ilb.balancer.HedgingTest$AsBatchJob
                                method: batch
                """, "round-robin?hedgeAfter=20ms", backend("frozen", frozen, "tier: 0", "timeout: 1s"),
                backend("healthy", healthy, "tier: 1")));

        HttpResponse<String> response = ilb.post("/v1/chat/completions", chat("m", 2));

        // the frozen backend's timeout ends it, as it would without hedging
        assertThat(response.statusCode()).as(response.body()).isEqualTo(504);
        assertThat(attempts(response)).isEqualTo(1);
        assertThat(frozen.inferenceRequests()).isEqualTo(1);
        assertThat(healthy.inferenceRequests()).isZero();
        assertThat(hedges(ilb, "won") + hedges(ilb, "lost")).isZero();
    }

    @Test
    void noHedgeWithoutRetryBudget() {
        SimulatedBackend frozen = frozen(Protocol.HTTP);
        SimulatedBackend healthy = healthy(Protocol.HTTP);
        Appliance ilb = servers.ilb(pool("m", "round-robin?hedgeAfter=20ms", backend("frozen", frozen, "tier: 0",
                "timeout: 1s"), backend("healthy", healthy, "tier: 1")),
                "ilb.balancer.retryMaxSaved=0", "ilb.balancer.retryMinPerSecond=0", "ilb.balancer.retryPercent=0");

        HttpResponse<String> response = ilb.post("/v1/chat/completions", chat("m", 2));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(504);
        assertThat(servedBy(response)).isEqualTo("frozen");
        assertThat(attempts(response)).isEqualTo(1);
        assertThat(healthy.inferenceRequests()).isZero();
        // the place the hedge would have taken was given back
        assertThat(ilb.backend("healthy").inFlight()).isZero();
        assertThat(hedges(ilb, "won") + hedges(ilb, "lost")).isZero();
    }

    @Test
    void noHedgeWhenNoOtherBackendIsFree() throws IOException {
        // the only other backend is busy with a long stream: its one place is taken
        SimulatedBackend busy = servers.backend(new SimulatorOptions().models("m").ttftMs(1).itlMs(200));
        SimulatedBackend frozen = frozen(Protocol.HTTP);
        Appliance ilb = servers.ilb(pool("m", "round-robin?hedgeAfter=20ms", backend("busy", busy, "tier: 0",
                "capacity: 1"), backend("frozen", frozen, "tier: 1", "timeout: 1s")));

        HttpResponse<InputStream> held = ilb.openStream("m", 1000);
        try (InputStream body = held.body()) {
            assertThat(servedBy(held)).isEqualTo("busy");
            // had its first token been slow, the held stream itself was hedged (to the frozen backend, and lost):
            // counted by now, as its head came. Only what follows counts
            double hedgedBefore = hedges(ilb, "won") + hedges(ilb, "lost");

            HttpResponse<String> response = ilb.post("/v1/chat/completions", chat("m", 2));

            assertThat(response.statusCode()).as(response.body()).isEqualTo(504);
            assertThat(servedBy(response)).isEqualTo("frozen");
            assertThat(attempts(response)).isEqualTo(1);
            assertThat(busy.inferenceRequests()).isEqualTo(1);
            assertThat(hedges(ilb, "won") + hedges(ilb, "lost")).isEqualTo(hedgedBefore);
        }
    }

    /** Makes a request a batch job's, as the batch consumer does. */
    public static final class AsBatchJob {
        public InferenceRequest batch(InferenceRequest request) {
            return request.withPriority(Priority.BATCH);
        }
    }
}
