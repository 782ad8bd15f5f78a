package ilb.balancer;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import ilb.Appliance;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A pool of a fast and a slow server, neither described (no capacity, no weight): the predicted-latency policy
 * measures them on the requests it sends and gives the fast one most of them, and publishes how far its predictions
 * were off.
 */
class PredictedLatencyRoutingTest {

    private static final int WAVES = 10;
    private static final int CONCURRENT = 6;

    private final Servers servers = new Servers();

    @AfterEach
    void stop() throws Exception {
        servers.close();
    }

    @Test
    void theFastServerGetsMostRequestsAndThePredictionErrorIsPublished() throws Exception {
        SimulatedBackend fast = servers.backend(new SimulatorOptions().models("m").ttftMs(2).itlMs(1).maxNumSeqs(4));
        SimulatedBackend slow = servers.backend(new SimulatorOptions().models("m").ttftMs(150).itlMs(20)
                .maxNumSeqs(2));
        int managementPort = Appliance.freePort();
        Appliance ilb = servers.ilb(pool("m", "predicted-latency", backend("fast", fast), backend("slow", slow)),
                "camel.management.enabled=true", "camel.management.host=127.0.0.1",
                "camel.management.port=" + managementPort);

        List<HttpResponse<String>> responses = new ArrayList<>();
        for (int wave = 0; wave < WAVES; wave++) {
            // streams, so that ilb sees each one's first token and its end
            List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
            for (int i = 0; i < CONCURRENT; i++) {
                sent.add(ilb.http().sendAsync(ilb.request("/v1/chat/completions")
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m\",\"stream\":true,\"max_tokens\":8,"
                                + "\"messages\":[{\"role\":\"user\",\"content\":\"request " + wave + "." + i + "\"}]}"))
                        .build(), HttpResponse.BodyHandlers.ofString()));
            }
            sent.forEach(response -> responses.add(response.join()));
        }

        assertThat(responses).hasSize(WAVES * CONCURRENT)
                .allSatisfy(response -> assertThat(response.statusCode()).isEqualTo(200));
        Map<String, Long> served = Appliance.counts(responses.stream().map(Appliance::servedBy).toList());
        assertThat(served.getOrDefault("fast", 0L) + served.getOrDefault("slow", 0L)).isEqualTo(WAVES * CONCURRENT);
        assertThat(served.getOrDefault("fast", 0L)).isGreaterThan(served.getOrDefault("slow", 0L));
        // each attempt reached a server: a request queued at the slow one past its hedge delay was hedged too
        assertThat(fast.inferenceRequests() + slow.inferenceRequests())
                .isEqualTo(responses.stream().mapToInt(Appliance::attempts).sum());
        // the ends of the streams taught it each server's time per token
        assertThat(ilb.backend("fast").profile().tpotNanos(1, System.nanoTime())).isPositive();

        // each measured prediction at a backend is one sample, at most one per request it served
        await().untilAsserted(() -> {
            double errors = metric(ilb, managementPort, "ilb_backend_ttft_prediction_error_count", "fast");
            assertThat(errors).isPositive().isLessThanOrEqualTo(served.get("fast"));
        });
    }

    /** The value of a backend's sample of {@code name} on ilb's {@code /observe/metrics}, 0 if it has none. */
    private static double metric(Appliance ilb, int managementPort, String name, String backend) throws Exception {
        String text = ilb.http().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort
                + "/observe/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        double value = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith(name + "{") && line.contains("backend=\"" + backend + "\"")) {
                value += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return value;
    }
}
