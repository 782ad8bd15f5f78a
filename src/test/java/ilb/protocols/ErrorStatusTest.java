package ilb.protocols;

import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

import ilb.Appliance;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static ilb.Appliance.chat;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static ilb.PoolRoute.route;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Every error a client can get: the right status, a body in the API's own shape, never a 500 for bad input. */
class ErrorStatusTest {

    private static final Servers SERVERS = new Servers();
    private static Appliance ilb;
    private static SimulatedBackend slow;

    @BeforeAll
    static void start() {
        SimulatedBackend healthy = SERVERS.fastBackend();
        SimulatedBackend rateLimited = SERVERS.backend(new SimulatorOptions().models("limited"));
        rateLimited.faults().rateLimitRate(1.0).retryAfterSeconds(7);
        SimulatedBackend hanging = SERVERS.backend(new SimulatorOptions().models("hangs"));
        hanging.faults().hangRate(1.0);
        slow = SERVERS.backend(new SimulatorOptions().models("throttled").ttftMs(1).itlMs(50));
        ilb = SERVERS.ilb(pool("m", "round-robin", backend("healthy", healthy))
                + pool("limited", "round-robin", backend("limited-0", rateLimited))
                + pool("hangs", "round-robin", backend("hangs-0", hanging, "timeout: 200ms"))
                + pool("nowhere", "round-robin", backend("nowhere-0", "http://127.0.0.1:" + Appliance.freePort(),
                        "healthPath: "))
                + route("pool-throttled", "model:throttled", """
                                - throttle:
                                    expression:
                                      constant: 1
                                    rejectExecution: true
                        """, "round-robin", backend("throttled-0", slow)),
                "ilb.http.maxRequestBytes=4096");
    }

    @AfterAll
    static void stop() throws Exception {
        SERVERS.close();
    }

    private static void assertOpenAiError(HttpResponse<String> response, int status, String code) {
        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(response.body()).startsWith("{\"error\":{\"message\":").contains("\"code\":\"" + code + "\"");
    }

    @Test
    void malformedJsonIs400() {
        assertOpenAiError(ilb.post("/v1/chat/completions", "{\"model\": \"m\", "), 400, "invalid_request");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "[]", "42", "null", "{}", "{\"model\": 7}", "{\"model\": \"\"}",
        "{\"model\": \"m\", \"stream\": \"yes\"}", "{\"model\": \"m\"} trailing", "\u00ff\u00fe",
        "{\"model\": \"m\"}", "{\"model\": \"m\", \"messages\": \"hi\"}", "{\"model\": \"m\", \"messages\": []}",
        "{\"model\": \"m\", \"messages\": [\"hi\"]}",
        "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": -1}",
        "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"n\": \"2\"}"})
    void badInputIs400NeverA500(String body) {
        assertOpenAiError(ilb.post("/v1/chat/completions", body), 400, "invalid_request");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"inputs\": \"x\"}", "{\"inputs\": []}", "{\"inputs\": [{\"name\": \"x\"}]}",
        "{\"inputs\": [{\"name\": \"x\", \"shape\": [-1], \"datatype\": \"FP32\", \"data\": [1]}]}", "[]", "not json"})
    void aMalformedKServeBodyIs400InKServeShape(String body) {
        HttpResponse<String> response = ilb.post("/v2/models/m/infer", body);
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).startsWith("{\"error\":\"");
    }

    @Test
    void anUnknownModelIs404() {
        HttpResponse<String> response = ilb.post("/v1/chat/completions", chat("gpt-7", 2));
        assertOpenAiError(response, 404, "model_not_found");
        assertThat(response.body()).contains("gpt-7");
    }

    @Test
    void anUnknownPathIs404() {
        assertOpenAiError(ilb.post("/v1/chat/complete", chat("m", 2)), 404, "unknown_url");
        assertOpenAiError(ilb.get("/admin"), 404, "unknown_url");
    }

    @Test
    void theWrongMethodIs405() {
        assertOpenAiError(ilb.get("/v1/chat/completions"), 405, "method_not_allowed");
    }

    @Test
    void aBodyOverTheLimitIs413() {
        String big = chat("m", 2).replace("hello there", "x".repeat(5000));
        assertOpenAiError(ilb.post("/v1/chat/completions", big), 413, "request_too_large");
    }

    @Test
    void aChunkedBodyOverTheLimitIs413() {
        byte[] big = chat("m", 2).replace("hello there", "x".repeat(5000)).getBytes(StandardCharsets.UTF_8);
        // of unknown length, so sent chunked: its size is known only as it comes
        HttpResponse<String> response = ilb.send(ilb.request("/v1/chat/completions")
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))).build());
        assertOpenAiError(response, 413, "request_too_large");
    }

    @Test
    void aBodyOverTheLimitIs413InKServeShapeOnKServePaths() {
        HttpResponse<String> response = ilb.post("/v2/models/m/infer", "{\"inputs\":\"" + "x".repeat(5000) + "\"}");
        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(response.body()).startsWith("{\"error\":\"");
    }

    @Test
    void aBackendThatRateLimitsPassesIts429AndRetryAfterThrough() {
        HttpResponse<String> response = ilb.post("/v1/chat/completions", chat("limited", 2));
        assertThat(response.statusCode()).isEqualTo(429);
        assertThat(response.headers().firstValue("retry-after")).hasValue("7");
        assertThat(response.body()).contains("\"error\"");
    }

    @Test
    void noReachableBackendIs503WithRetryAfter() {
        HttpResponse<String> response = ilb.post("/v1/chat/completions", chat("nowhere", 2));
        assertOpenAiError(response, 503, "no_healthy_backend");
        assertThat(response.headers().firstValue("retry-after")).isPresent();
        // now known to be down: answered without trying
        HttpResponse<String> again = ilb.post("/v1/chat/completions", chat("nowhere", 2));
        assertOpenAiError(again, 503, "no_healthy_backend");
        assertThat(again.headers().firstValue("x-ilb-attempts")).hasValue("0");
    }

    @Test
    void aRequestOverTheRouteThrottleIs503WithRetryAfter() throws Exception {
        // the first request holds the route's only permit while its completion is generated
        CompletableFuture<HttpResponse<String>> first = ilb.http().sendAsync(ilb.request("/v1/chat/completions")
                .POST(HttpRequest.BodyPublishers.ofString(chat("throttled", 20))).build(),
                HttpResponse.BodyHandlers.ofString());
        await().until(() -> slow.running() == 1);

        HttpResponse<String> second = ilb.post("/v1/chat/completions", chat("throttled", 2));

        assertOpenAiError(second, 503, "overloaded");
        assertThat(second.headers().firstValue("retry-after")).isPresent();
        assertThat(first.get().statusCode()).isEqualTo(200);
    }

    @Test
    void aBackendTimeoutIs504() {
        assertOpenAiError(ilb.post("/v1/chat/completions", chat("hangs", 2)), 504, "backend_timeout");
    }

    @Test
    void kserveErrorsHaveKServeShape() {
        HttpResponse<String> unknownModel = ilb.post("/v2/models/nope/infer", "{\"inputs\":[]}");
        assertThat(unknownModel.statusCode()).isEqualTo(404);
        assertThat(unknownModel.body()).isEqualTo("{\"error\":\"model 'nope' is not found\"}");
        HttpResponse<String> wrongMethod = ilb.get("/v2/models/m/infer");
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(wrongMethod.body()).startsWith("{\"error\":\"");
    }
}
