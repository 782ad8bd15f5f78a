package ilb.backend;

import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import ilb.Appliance;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static ilb.Appliance.counts;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** ilb scrapes each server's /metrics while requests flow; a server without metrics costs nothing. */
class TelemetryTest {

    private final Servers servers = new Servers();

    @AfterEach
    void stop() throws Exception {
        servers.close();
    }

    @Test
    void theServersQueueAndBatchShowUpWithinAFewScrapes() throws Exception {
        SimulatedBackend server = servers.backend(new SimulatorOptions().models("m").maxNumSeqs(1).ttftMs(1).itlMs(1));
        Appliance ilb = servers.ilb(pool("m", "scored", backend("a", server, "metricsInterval: 50ms")));

        try (InputStream running = ilb.openStream("m", 100_000).body()) {
            // the server answers this one only when it gets a place in the batch
            ilb.http().sendAsync(ilb.request("/v1/chat/completions").header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(Appliance.chat("m", 3))).build(),
                    HttpResponse.BodyHandlers.discarding());
            await().until(() -> ilb.backend("a").telemetry(System.nanoTime()).waiting() == 1);
            assertThat(ilb.backend("a").telemetry(System.nanoTime()).running()).isEqualTo(1);
            assertThat(ilb.backend("a").telemetry(System.nanoTime()).kvCacheUsage()).isPositive();
        }
    }

    @Test
    void aServerWithoutMetricsIsServedOnInFlightCounts() {
        Appliance ilb = servers.ilb(pool("m", "scored",
                backend("a", servers.fastBackend(), "metricsPath: /no-metrics-here", "metricsInterval: 50ms"),
                backend("b", servers.fastBackend(), "metricsPath: /no-metrics-here", "metricsInterval: 50ms")));

        assertThat(counts(ilb.servedBy(20)).values().stream().mapToLong(Long::longValue).sum()).isEqualTo(20);
        assertThat(ilb.backend("a").telemetry(System.nanoTime()).known()).isFalse();
    }
}
