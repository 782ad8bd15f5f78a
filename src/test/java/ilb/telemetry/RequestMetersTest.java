package ilb.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import ilb.Appliance;
import ilb.PoolRoute;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.Test;

/**
 * Requests show on {@code /observe/metrics} as they happened: outcomes per backend and per model and tenant,
 * latency histograms, time to first token and between tokens for streams, and the tokens the backends reported.
 */
class RequestMetersTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void requestsOutcomesLatenciesAndTokensAreMetered() throws Exception {
        int port = Appliance.freePort();
        try (Servers servers = new Servers()) {
            SimulatedBackend failing = servers.backend(new SimulatorOptions().models("bad").ttftMs(1).itlMs(1));
            failing.faults().errorRate(1).errorStatus(500);
            Appliance ilb = servers.ilb(PoolRoute.pool("m", "round-robin",
                    PoolRoute.backend("a", servers.fastBackend()), PoolRoute.backend("b", servers.fastBackend()))
                    + PoolRoute.pool("bad", "round-robin", PoolRoute.backend("broken", failing)),
                    "camel.management.enabled=true", "camel.management.host=127.0.0.1",
                    "camel.management.port=" + port);

            long prompt = 0;
            long completion = 0;
            for (int i = 0; i < 4; i++) {
                HttpResponse<String> response = ilb.post("/v1/chat/completions", Appliance.chat("m", 5));
                assertThat(response.statusCode()).isEqualTo(200);
                JsonNode usage = JSON.readTree(response.body()).path("usage");
                prompt += usage.path("prompt_tokens").asLong();
                completion += usage.path("completion_tokens").asLong();
            }
            // a stream without usage: each event with generated text is a token
            completion += streamedEvents(ilb, "{\"model\":\"m\",\"stream\":true,\"max_tokens\":6,"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}", null);
            // a stream with usage: the server's count is taken
            long[] reported = new long[2];
            streamedEvents(ilb, "{\"model\":\"m\",\"stream\":true,\"max_tokens\":7,"
                    + "\"stream_options\":{\"include_usage\":true},"
                    + "\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}", reported);
            prompt += reported[0];
            completion += reported[1];
            assertThat(ilb.post("/v1/chat/completions", Appliance.chat("bad", 5)).statusCode()).isEqualTo(500);

            long expectedPrompt = prompt;
            long expectedCompletion = completion;
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                Scrape scrape = Scrape.of(port);
                assertThat(scrape.sum("ilb_backend_requests_total", "outcome=success")).isEqualTo(6);
                assertThat(scrape.sum("ilb_backend_requests_total", "backend=a")
                        + scrape.sum("ilb_backend_requests_total", "backend=b")).isEqualTo(6);
                assertThat(scrape.sum("ilb_backend_requests_total", "backend=broken", "outcome=server_error"))
                        .isEqualTo(1);
                assertThat(scrape.sum("ilb_requests_total", "model=m", "tenant=test", "priority=standard",
                        "outcome=success")).isEqualTo(6);
                // a model without versions: in production, with no version
                assertThat(scrape.sum("ilb_requests_total", "model=m", "version=", "stage=production")).isEqualTo(6);
                // REST clients, HTTP backends
                assertThat(scrape.sum("ilb_requests_total", "protocol=http")).isEqualTo(7);
                assertThat(scrape.sum("ilb_backend_requests_total", "protocol=http")).isEqualTo(7);
                assertThat(scrape.sum("ilb_requests_total", "model=bad", "outcome=server_error")).isEqualTo(1);
                // every reply and stream timed; only streams have a first token and tokens between
                assertThat(scrape.sum("ilb_backend_request_duration_seconds_count")).isEqualTo(7);
                assertThat(scrape.sum("ilb_backend_request_duration_seconds_bucket", "le=+Inf")).isEqualTo(7);
                assertThat(scrape.sum("ilb_backend_time_to_first_token_seconds_count")).isEqualTo(2);
                // and per model, as clients wait, from the request's arrival at the pool
                assertThat(scrape.sum("ilb_request_duration_seconds_count", "model=m")).isEqualTo(6);
                assertThat(scrape.sum("ilb_request_duration_seconds_count", "model=bad")).isEqualTo(1);
                assertThat(scrape.sum("ilb_time_to_first_token_seconds_count", "model=m")).isEqualTo(2);
                assertThat(scrape.sum("ilb_time_to_first_token_seconds_bucket", "model=m", "le=30.0")).isEqualTo(2);
                assertThat(scrape.sum("ilb_backend_inter_token_latency_seconds_count")).isPositive();
                assertThat(scrape.sum("ilb_backend_tokens_total", "kind=prompt")).isEqualTo(expectedPrompt);
                assertThat(scrape.sum("ilb_backend_tokens_total", "kind=completion")).isEqualTo(expectedCompletion);
                assertThat(scrape.sum("ilb_tokens_total", "model=m", "tenant=test", "kind=completion"))
                        .isEqualTo(expectedCompletion);
                assertThat(scrape.sum("ilb_tokens_total", "model=m", "tenant=test", "kind=prompt"))
                        .isEqualTo(expectedPrompt);
            });
        }
    }

    /**
     * Reads a stream to its end; the number of events with generated text, and into {@code usage} (if given) the prompt and
     * completion tokens of its usage event.
     */
    private static long streamedEvents(Appliance ilb, String body, long[] usage) throws Exception {
        HttpResponse<InputStream> response = ilb.http().send(ilb.request("/v1/chat/completions")
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        long events = 0;
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = lines.readLine()) != null; ) {
                if (!line.startsWith("data:") || line.contains("[DONE]")) {
                    continue;
                }
                JsonNode event = JSON.readTree(line.substring(5));
                if (!event.path("choices").path(0).path("delta").path("content").asText().isEmpty()) {
                    events++;
                }
                if (usage != null && event.path("usage").isObject()) {
                    usage[0] = event.path("usage").path("prompt_tokens").asLong();
                    usage[1] = event.path("usage").path("completion_tokens").asLong();
                }
            }
        }
        return events;
    }
}
