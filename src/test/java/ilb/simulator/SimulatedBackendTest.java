package ilb.simulator;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The simulator over HTTP, as ilb (or vLLM's clients) see it. */
class SimulatedBackendTest {

    private final HttpClient http = HttpClient.newHttpClient();
    private SimulatedBackend backend;

    @AfterEach
    void stop() {
        backend.close();
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(backend.url() + path)).POST(
                HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(backend.url() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void publishesVllmMetricsInPrometheusText() throws Exception {
        backend = SimulatedBackend.start(new SimulatorOptions().models("m").ttftMs(1).itlMs(1));
        String prompt = "word ".repeat(40);
        for (int i = 0; i < 2; i++) {
            post("/v1/completions", "{\"model\":\"m\",\"prompt\":\"" + prompt + "\",\"max_tokens\":3}");
        }

        String metrics = get("/metrics").body();

        assertThat(metrics).contains("# TYPE vllm:num_requests_running gauge", "vllm:num_requests_waiting{",
                "vllm:kv_cache_usage_perc{", "vllm:generation_tokens_total{model_name=\"m\"} 6",
                "vllm:time_to_first_token_seconds_bucket{", "vllm:request_queue_time_seconds_count{");
        // the second prompt found the first one's two full blocks (32 of its 40 tokens) in the prefix cache
        assertThat(backend.prefixHitTokens()).isEqualTo(32);
    }

    @Test
    void injectsRateLimitsWithRetryAfterAndErrors() throws Exception {
        backend = SimulatedBackend.start(new SimulatorOptions().models("m"));
        backend.faults().rateLimitRate(1.0).retryAfterSeconds(9);
        HttpResponse<String> limited = post("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[]}");
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.headers().firstValue("retry-after")).hasValue("9");

        // changed over HTTP while it runs, as a benchmark does
        assertThat(post("/sim/faults?rate-limit-rate=0&error-rate=1&error-status=503", "").statusCode())
                .isEqualTo(200);
        assertThat(post("/v1/chat/completions", "{\"model\":\"m\",\"messages\":[]}").statusCode()).isEqualTo(503);
    }

    @Test
    void answersUnknownModelsWith404LikeVllm() throws Exception {
        backend = SimulatedBackend.start(new SimulatorOptions().models("m"));
        HttpResponse<String> response = post("/v1/chat/completions", "{\"model\":\"other\",\"messages\":[]}");
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).contains("does not exist");
    }

    @Test
    void aCrashRefusesNewConnections() throws Exception {
        backend = SimulatedBackend.start(new SimulatorOptions().models("m"));
        assertThat(get("/health").statusCode()).isEqualTo(200);
        backend.crash();
        assertThatThrownBy(() -> get("/health")).isInstanceOf(IOException.class);
    }
}
