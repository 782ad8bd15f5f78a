package ilb.simulator;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The simulator over HTTP, as ilb (or vLLM's clients) see it. */
class SimulatedBackendTest {

    private static final String CHAT = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

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
        HttpResponse<String> limited = post("/v1/chat/completions", CHAT);
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.headers().firstValue("retry-after")).hasValue("9");

        // changed over HTTP while it runs, as a benchmark does
        assertThat(post("/sim/faults?rate-limit-rate=0&error-rate=1&error-status=503", "").statusCode())
                .isEqualTo(200);
        assertThat(post("/v1/chat/completions", CHAT).statusCode()).isEqualTo(503);
    }

    @Test
    void answersUnknownModelsWith404LikeVllm() throws Exception {
        backend = SimulatedBackend.start(new SimulatorOptions().models("m"));
        HttpResponse<String> response = post("/v1/chat/completions", CHAT.replace("\"m\"", "\"other\""));
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).isEqualTo("{\"object\":\"error\",\"message\":\"The model `other` does not exist.\","
                + "\"type\":\"NotFoundError\",\"param\":null,\"code\":404}");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "/v1/chat/completions | {'model':'m','messages':[{'role':'user','content':'hi'}]",
        "/v1/chat/completions | {'model':'m','messages':[{'role':'user','content':'hi'}]} trailing",
        "/v1/chat/completions | []",
        "/v1/chat/completions | {'model':'m','messages':[]}",
        "/v1/chat/completions | {'model':'m','messages':[{'role':'user','content':'hi'}],'stream':'yes'}",
        "/v1/chat/completions | {'model':'other','messages':'hi'}",
        "/v1/completions | {'model':'m','max_tokens':0,'prompt':'hi'}",
        "/v1/embeddings | {'model':'m','input':[]}",
    })
    void refusesABadOpenAiBodyWith400LikeVllm(String path, String body) throws Exception {
        backend = SimulatedBackend.start(new SimulatorOptions().models("m").ttftMs(1).itlMs(1));
        HttpResponse<String> response = post(path, body.replace('\'', '"'));
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).startsWith("{\"object\":\"error\",\"message\":\"")
                .endsWith("\"type\":\"BadRequestError\",\"param\":null,\"code\":400}");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "/v1/chat/completions | {'model':'m','messages':[{'role':'user','content':[{'type':'text','text':'hi'}]}]}",
        "/v1/completions | {'model':'m','max_tokens':2,'prompt':[[1,2,3],[4]]}",
        "/v1/embeddings | {'model':'m','input':[101,102]}",
    })
    void answersAGoodOpenAiBody(String path, String body) throws Exception {
        backend = SimulatedBackend.start(new SimulatorOptions().models("m").ttftMs(1).itlMs(1));
        assertThat(post(path, body.replace('\'', '"')).statusCode()).isEqualTo(200);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{'inputs':[{'name':'INPUT0','shape':[1,3],'datatype':'FP32','data':[1,2]}]}",
        "{'inputs':[{'name':'INPUT0','shape':[1,3],'datatype':'FLOAT','data':[1,2,3]}]}", "{'inputs':[]}", "[]",
        "{'inputs':"})
    void refusesABadInferBodyWith400LikeTriton(String body) throws Exception {
        backend = SimulatedBackend.start(new SimulatorOptions().models("m").ttftMs(1));
        HttpResponse<String> response = post("/v2/models/m/infer", body.replace('\'', '"'));
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).startsWith("{\"error\":\"").endsWith("\"}");
    }

    @Test
    void echoesTensorsInJsonOrInTheBinaryExtension() throws Exception {
        backend = SimulatedBackend.start(new SimulatorOptions().models("m").ttftMs(1));
        // the README's example
        HttpResponse<String> json = post("/v2/models/m/infer", "{\"inputs\": [{\"name\": \"INPUT0\", \"shape\": [1, 3], "
                + "\"datatype\": \"FP32\", \"data\": [1, 2, 3]}]}");
        assertThat(json.statusCode()).isEqualTo(200);
        assertThat(json.body()).contains("\"data\":[1,2,3]");

        byte[] header = ("{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,3],\"datatype\":\"FP32\","
                + "\"parameters\":{\"binary_data_size\":12}}]}").getBytes(UTF_8);
        byte[] tensor = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(2).putFloat(3)
                .array();
        byte[] body = Arrays.copyOf(header, header.length + tensor.length);
        System.arraycopy(tensor, 0, body, header.length, tensor.length);
        HttpResponse<byte[]> binary = http.send(HttpRequest.newBuilder(URI.create(backend.url() + "/v2/models/m/infer"))
                .header("Inference-Header-Content-Length", String.valueOf(header.length))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());

        assertThat(binary.statusCode()).isEqualTo(200);
        int length = Integer.parseInt(binary.headers().firstValue("inference-header-content-length").orElseThrow());
        assertThat(new String(binary.body(), 0, length, UTF_8)).contains("\"binary_data_size\":12");
        assertThat(Arrays.copyOfRange(binary.body(), length, binary.body().length)).isEqualTo(tensor);
    }

    @Test
    void aClientThatGoesAwayLeavesTheEngineAndIsCounted() throws Exception {
        backend = SimulatedBackend.start(new SimulatorOptions().models("m").ttftMs(600_000));
        try (Socket client = new Socket("127.0.0.1", backend.port())) {
            client.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nhost: sim\r\n"
                    + "content-type: application/json\r\ncontent-length: " + CHAT.length() + "\r\n\r\n" + CHAT)
                    .getBytes(UTF_8));
            await().until(() -> backend.running() == 1);
        }

        await().until(() -> backend.cancelledCalls() == 1);
        assertThat(backend.running()).isZero();
        assertThat(backend.inferenceRequests()).isEqualTo(1);
    }

    @Test
    void aCrashRefusesNewConnections() throws Exception {
        backend = SimulatedBackend.start(new SimulatorOptions().models("m"));
        assertThat(get("/health").statusCode()).isEqualTo(200);
        backend.crash();
        assertThatThrownBy(() -> get("/health")).isInstanceOf(IOException.class);
    }
}
