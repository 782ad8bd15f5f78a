package ilb.balancer;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;

import ilb.Appliance;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static ilb.Appliance.counts;
import static ilb.Appliance.servedBy;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;
import static org.awaitility.Awaitility.await;

/** SLO-aware tier spill: the servers' own metrics tell whether a backend would meet the pool's latency targets. */
class LatencyTargetTest {

    private final Servers servers = new Servers();

    @AfterEach
    void stop() throws Exception {
        servers.close();
    }

    /**
     * A server whose metrics report a time to first token of 1 s (at least: its prefill is 1 s, a busy machine only
     * adds to it), ten times the 100 ms target; the fast servers report 1 ms, a hundred times under it. Its pools
     * do not hedge ({@code hedgeAfter=0}): the other tier would answer its requests first.
     */
    private SimulatedBackend slowFirstToken() {
        return servers.backend(new SimulatorOptions().models("m").ttftMs(1000).itlMs(1));
    }

    @Test
    void requestsMoveToTheNextTierOnceTheFirstIsForecastToMissTheTarget() {
        SimulatedBackend gpu = slowFirstToken();
        SimulatedBackend cpu = servers.fastBackend();
        Appliance ilb = servers.ilb(pool("m", "least-request?sloTtft=100ms&hedgeAfter=0",
                backend("gpu", gpu, "tier: 0", "metricsInterval: 50ms"),
                backend("cpu", cpu, "tier: 1", "metricsInterval: 50ms")));

        // nothing is known about gpu at first: it is taken to meet the target
        assertThat(ilb.servedBy(1)).containsExactly("gpu");
        // its metrics then show a 1 s time to first token
        await().until(() -> ilb.backend("gpu").telemetry(System.nanoTime()).ttftSeconds() >= 1.0);
        assertThat(counts(ilb.servedBy(10))).containsExactly(entry("cpu", 10L));
    }

    @Test
    void withoutTargetsTheFirstTierKeepsEverything() {
        SimulatedBackend gpu = slowFirstToken();
        SimulatedBackend cpu = servers.fastBackend();
        Appliance ilb = servers.ilb(pool("m", "least-request?hedgeAfter=0",
                backend("gpu", gpu, "tier: 0", "metricsInterval: 50ms"),
                backend("cpu", cpu, "tier: 1", "metricsInterval: 50ms")));
        assertThat(ilb.servedBy(1)).containsExactly("gpu");
        await().until(() -> ilb.backend("gpu").telemetry(System.nanoTime()).ttftSeconds() >= 1.0);

        assertThat(counts(ilb.servedBy(2))).containsExactly(entry("gpu", 2L));
    }

    @Test
    void aRequestWaitsForAFullBackendOnTargetRatherThanTakeOneOffTarget() throws Exception {
        SimulatedBackend gpu = servers.fastBackend();
        SimulatedBackend cpu = servers.backend(new SimulatorOptions().models("m").ttftMs(1).itlMs(100));
        // tpot target 50 ms: cpu (100 ms per token at least) is off target; it may wait up to a minute for gpu (half
        // its ttft target, and of its queue's timeout), far more than gpu takes to be free once the stream is closed
        Appliance ilb = servers.ilb(pool("m", "least-request?sloTtft=120s&sloTpot=50ms",
                backend("gpu", gpu, "tier: 0", "capacity: 1"),
                backend("cpu", cpu, "tier: 1", "metricsInterval: 50ms")), "ilb.balancer.queueTimeout.standard=120s");
        teachTelemetry(ilb, cpu);

        InputStream longStream = ilb.openStream("m", 100_000).body();
        CompletableFuture<HttpResponse<String>> held = sendAsync(ilb);
        await().until(() -> ilb.balancer("pool-m").queued() == 1);
        longStream.close();

        assertThat(servedBy(held.get())).isEqualTo("gpu");
        assertThat(ilb.backend("cpu").inFlight()).isZero();
    }

    @Test
    void whenTheWaitIsOverTheOffTargetBackendServes() throws Exception {
        SimulatedBackend gpu = servers.fastBackend();
        SimulatedBackend cpu = servers.backend(new SimulatorOptions().models("m").ttftMs(1).itlMs(100));
        // may wait up to 200 ms for gpu, which stays full
        Appliance ilb = servers.ilb(pool("m", "least-request?sloTtft=400ms&sloTpot=50ms",
                backend("gpu", gpu, "tier: 0", "capacity: 1"),
                backend("cpu", cpu, "tier: 1", "metricsInterval: 50ms")));
        teachTelemetry(ilb, cpu);

        try (InputStream longStream = ilb.openStream("m", 100_000).body()) {
            HttpResponse<String> response = sendAsync(ilb).get();

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(servedBy(response)).isEqualTo("cpu");
        }
    }

    /** A few requests straight to the cpu server, so that its metrics show its time per output token. */
    private static void teachTelemetry(Appliance ilb, SimulatedBackend cpu) {
        for (int i = 0; i < 2; i++) {
            ilb.send(HttpRequest.newBuilder(URI.create(cpu.url() + "/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(Appliance.chat("m", 3))).build());
        }
        await().until(() -> ilb.backend("cpu").telemetry(System.nanoTime()).tpotSeconds() > 0.05);
    }

    private static CompletableFuture<HttpResponse<String>> sendAsync(Appliance ilb) {
        return ilb.http().sendAsync(ilb.request("/v1/chat/completions").header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Appliance.chat("m", 2))).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
