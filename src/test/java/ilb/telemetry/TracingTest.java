package ilb.telemetry;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;

import ilb.Appliance;
import ilb.OtlpReceiver;
import ilb.OtlpReceiver.ReceivedSpan;
import ilb.RawBackend;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static ilb.Appliance.attempts;
import static ilb.Appliance.chat;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Requests traced through ilb to a real OTLP/HTTP receiver ({@link OtlpReceiver}): a SERVER span per request with
 * what it came to, a CLIENT child per backend attempt, whose trace context the backend gets, under the client's trace.
 */
class TracingTest {

    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CLIENT_SPAN = "00f067aa0ba902b7";
    private static final String CLIENT_TRACEPARENT = "00-" + TRACE_ID + "-" + CLIENT_SPAN + "-01";
    private static final String REPLY = "{\"id\":\"x\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
            + "\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3,\"total_tokens\":10}}";
    /** The OpenTelemetry system properties a test sets: cleared after it, as the JVM runs other tests too. */
    private static final List<String> OTEL_PROPERTIES = List.of("otel.exporter.otlp.endpoint", "otel.bsp.schedule.delay",
            "otel.traces.sampler", "otel.traces.sampler.arg");

    private final Servers servers = new Servers();
    private final OtlpReceiver receiver = OtlpReceiver.start();

    @BeforeEach
    void traceToTheReceiver() {
        System.setProperty("otel.exporter.otlp.endpoint", receiver.endpoint());
        // exported within milliseconds, not the default 5 s
        System.setProperty("otel.bsp.schedule.delay", "20");
    }

    @AfterEach
    void stop() throws Exception {
        servers.close();
        receiver.close();
        OTEL_PROPERTIES.forEach(System::clearProperty);
    }

    private static RawBackend.Answer reply() {
        byte[] body = REPLY.getBytes(StandardCharsets.UTF_8);
        return out -> {
            out.write(("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: " + body.length
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
        };
    }

    private List<ReceivedSpan> spans(String traceId, int kind) {
        return receiver.spans().stream().filter(s -> s.traceId().equals(traceId) && s.kind() == kind).toList();
    }

    private static String traceIdOf(String traceparent) {
        return traceparent.split("-")[1];
    }

    private static String parentIdOf(String traceparent) {
        return traceparent.split("-")[2];
    }

    @Test
    void aRequestIsTracedUnderTheClientsTraceAndTheBackendGetsItsAttemptsTraceparent() {
        RawBackend backend = servers.raw(reply());
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("b1", backend.url(), "healthPath: ",
                "metricsPath: ")));

        HttpResponse<String> response = ilb.send(ilb.request("/v1/chat/completions")
                .header("content-type", "application/json").header("traceparent", CLIENT_TRACEPARENT)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(chat("m", 3))).build());
        assertThat(response.statusCode()).isEqualTo(200);

        await().untilAsserted(() -> {
            assertThat(spans(TRACE_ID, ReceivedSpan.SERVER)).hasSize(1);
            assertThat(spans(TRACE_ID, ReceivedSpan.CLIENT)).hasSize(1);
        });
        ReceivedSpan server = spans(TRACE_ID, ReceivedSpan.SERVER).get(0);
        assertThat(server.serviceName()).isEqualTo("ilb");
        assertThat(server.name()).isEqualTo("POST /v1/chat/completions");
        assertThat(server.parentSpanId()).isEqualTo(CLIENT_SPAN);
        assertThat(server.attributes()).containsEntry("ilb.tenant", "test").containsEntry("gen_ai.request.model", "m")
                .containsEntry("ilb.priority", "standard").containsEntry("ilb.stream", false)
                .containsEntry("ilb.outcome", "success").containsEntry("http.response.status_code", 200L)
                .containsEntry("gen_ai.usage.input_tokens", 7L).containsEntry("gen_ai.usage.output_tokens", 3L)
                .containsEntry("ilb.backend", "b1").containsEntry("ilb.attempts", 1L);
        ReceivedSpan attempt = spans(TRACE_ID, ReceivedSpan.CLIENT).get(0);
        assertThat(attempt.parentSpanId()).isEqualTo(server.spanId());
        assertThat(attempt.attributes()).containsEntry("ilb.backend", "b1").containsEntry("ilb.attempt", 1L)
                .containsEntry("ilb.hedge", false).containsEntry("ilb.outcome", "success")
                .containsEntry("http.response.status_code", 200L).containsEntry("server.address", "127.0.0.1");
        // the backend's parent is ilb's attempt, in the client's trace
        String sent = backend.requestHeaders().get(0).get("traceparent");
        assertThat(traceIdOf(sent)).isEqualTo(TRACE_ID);
        assertThat(parentIdOf(sent)).isEqualTo(attempt.spanId());
        assertThat(receiver.contentTypes()).allSatisfy(type -> assertThat(type).isEqualTo("application/x-protobuf"));
        // never a key or a prompt
        assertThat(receiver.spans()).allSatisfy(span -> assertThat(span.attributes().values().toString())
                .doesNotContain(Appliance.API_KEY).doesNotContain("hello there"));
    }

    @Test
    void aRetriedRequestHasTwoAttempts() {
        SimulatedBackend unavailable = servers.fastBackend();
        unavailable.faults().errorRate(1.0).errorStatus(503);
        SimulatedBackend healthy = servers.fastBackend();
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("unavailable", unavailable),
                backend("healthy", healthy)), "camel.component.backend.ejectAfterFailures=0");

        HttpResponse<String> response = ilb.send(ilb.request("/v1/chat/completions")
                .header("content-type", "application/json").header("traceparent", CLIENT_TRACEPARENT)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(chat("m", 2))).build());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(attempts(response)).isEqualTo(2);

        await().untilAsserted(() -> {
            assertThat(spans(TRACE_ID, ReceivedSpan.SERVER)).hasSize(1);
            assertThat(spans(TRACE_ID, ReceivedSpan.CLIENT)).hasSize(2);
        });
        String server = spans(TRACE_ID, ReceivedSpan.SERVER).get(0).spanId();
        assertThat(spans(TRACE_ID, ReceivedSpan.CLIENT)).allSatisfy(a -> assertThat(a.parentSpanId()).isEqualTo(server))
                .extracting(a -> a.attribute("ilb.attempt") + " " + a.attribute("ilb.backend") + " "
                        + a.attribute("ilb.outcome"))
                .containsExactlyInAnyOrder("1 unavailable unavailable", "2 healthy success");
        assertThat(spans(TRACE_ID, ReceivedSpan.SERVER).get(0).attributes()).containsEntry("ilb.attempts", 2L);
    }

    @Test
    void aHedgedRequestShowsItsHedge() {
        SimulatedBackend frozen = servers.backend(new SimulatorOptions().models("m").ttftMs(600_000).itlMs(1));
        SimulatedBackend healthy = servers.fastBackend();
        Appliance ilb = servers.ilb(pool("m", "round-robin?hedgeAfter=20ms", backend("frozen", frozen, "tier: 0"),
                backend("healthy", healthy, "tier: 1")));

        HttpResponse<String> response = ilb.post("/v1/chat/completions", chat("m", 2));
        assertThat(response.statusCode()).isEqualTo(200);

        await().untilAsserted(() -> assertThat(receiver.spans()).filteredOn(s -> s.kind() == ReceivedSpan.CLIENT)
                .hasSize(2));
        assertThat(receiver.spans()).filteredOn(s -> s.kind() == ReceivedSpan.CLIENT)
                .extracting(a -> a.attribute("ilb.backend") + " " + a.attribute("ilb.hedge") + " "
                        + a.attribute("ilb.attempt"))
                .containsExactlyInAnyOrder("frozen false 1", "healthy true 2");
    }

    @Test
    void aStreamsSpanEndsAfterItsLastEventWithItsTokens() throws IOException {
        SimulatedBackend backend = servers.fastBackend();
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("b1", backend)));

        HttpResponse<InputStream> response = ilb.openStream("m", 5);
        String events;
        try (InputStream body = response.body()) {
            events = new String(body.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(events).contains("[DONE]");

        await().untilAsserted(() -> assertThat(receiver.spans()).filteredOn(s -> s.kind() == ReceivedSpan.SERVER)
                .hasSize(1));
        ReceivedSpan server = receiver.spans().stream().filter(s -> s.kind() == ReceivedSpan.SERVER).findFirst()
                .orElseThrow();
        ReceivedSpan attempt = receiver.spans().stream().filter(s -> s.kind() == ReceivedSpan.CLIENT).findFirst()
                .orElseThrow();
        assertThat(server.attributes()).containsEntry("ilb.stream", true).containsEntry("ilb.outcome", "success")
                .containsEntry("gen_ai.usage.output_tokens", 5L).containsKey("ilb.ttft_ms");
        assertThat(attempt.events()).contains("first_token");
        assertThat(attempt.attributes()).containsKey("ilb.ttft_ms");
        // the request ends with the stream's end, which the attempt saw first
        assertThat(server.endNanos()).isGreaterThanOrEqualTo(attempt.endNanos());
    }

    @Test
    void aRequestThatWaitedHasAQueueSpan() throws Exception {
        SimulatedBackend only = servers.fastBackend();
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("only", only, "capacity: 1")));
        java.util.concurrent.CompletableFuture<HttpResponse<String>> waiting;
        try (InputStream holder = ilb.openStream("m", 100_000).body()) {
            waiting = ilb.http().sendAsync(ilb.request("/v1/chat/completions")
                    .header("traceparent", CLIENT_TRACEPARENT)
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(chat("m", 2))).build(),
                    HttpResponse.BodyHandlers.ofString());
            await().until(() -> ilb.balancer("pool-m").queued() == 1);
        }
        assertThat(waiting.get().statusCode()).isEqualTo(200);

        await().untilAsserted(() -> assertThat(spans(TRACE_ID, ReceivedSpan.SERVER)).hasSize(1));
        ReceivedSpan server = spans(TRACE_ID, ReceivedSpan.SERVER).get(0);
        assertThat(server.attributes()).containsKey("ilb.queue.wait_ms");
        assertThat(spans(TRACE_ID, ReceivedSpan.INTERNAL)).singleElement().satisfies(queue -> {
            assertThat(queue.name()).isEqualTo("queue");
            assertThat(queue.parentSpanId()).isEqualTo(server.spanId());
            assertThat(queue.endNanos()).isGreaterThanOrEqualTo(queue.startNanos());
        });
        // the request that did not wait has none
        await().untilAsserted(() -> assertThat(receiver.spans()).filteredOn(s -> s.kind() == ReceivedSpan.SERVER)
                .hasSize(2));
        assertThat(receiver.spans()).filteredOn(s -> s.kind() == ReceivedSpan.SERVER && s != server)
                .singleElement().satisfies(held -> assertThat(held.attributes()).doesNotContainKey("ilb.queue.wait_ms"));
        assertThat(receiver.spans()).filteredOn(s -> s.kind() == ReceivedSpan.INTERNAL).hasSize(1);
    }

    @Test
    void aRefusedRequestHasASpanWithItsOutcome() {
        SimulatedBackend backend = servers.fastBackend();
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("b1", backend)));

        HttpResponse<String> response = ilb.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(ilb.baseUrl() + "/v1/chat/completions"))
                .header("authorization", "Bearer sk-wrong").header("traceparent", CLIENT_TRACEPARENT)
                .header("content-type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(chat("m", 2))).build());
        assertThat(response.statusCode()).isEqualTo(401);

        await().untilAsserted(() -> assertThat(spans(TRACE_ID, ReceivedSpan.SERVER)).hasSize(1));
        assertThat(spans(TRACE_ID, ReceivedSpan.SERVER).get(0).attributes())
                .containsEntry("http.response.status_code", 401L).containsEntry("ilb.outcome", "client_error");
        assertThat(spans(TRACE_ID, ReceivedSpan.CLIENT)).isEmpty();
        assertThat(backend.inferenceRequests()).isZero();
    }

    @Test
    void stoppingIlbFlushesTheSpansItHolds() {
        // nothing is exported on the SDK's schedule within the test: only the flush at stop can send the spans
        System.setProperty("otel.bsp.schedule.delay", "600000");
        RawBackend backend = servers.raw(reply());
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("b1", backend.url(), "healthPath: ",
                "metricsPath: ")));
        assertThat(ilb.post("/v1/chat/completions", chat("m", 2)).statusCode()).isEqualTo(200);

        ilb.close();

        assertThat(receiver.spans()).extracting(ReceivedSpan::kind)
                .containsExactlyInAnyOrder(ReceivedSpan.SERVER, ReceivedSpan.CLIENT);
    }

    @Test
    void unsampledRequestsExportNothingAndPassTheClientsTraceparentOn() {
        System.setProperty("otel.traces.sampler", "traceidratio");
        System.setProperty("otel.traces.sampler.arg", "0");
        RawBackend backend = servers.raw(reply());
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("b1", backend.url(), "healthPath: ",
                "metricsPath: ")));

        int requests = 3;
        for (int i = 0; i < requests; i++) {
            HttpResponse<String> response = ilb.send(ilb.request("/v1/chat/completions")
                    .header("content-type", "application/json").header("traceparent", CLIENT_TRACEPARENT)
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(chat("m", 2))).build());
            assertThat(response.statusCode()).isEqualTo(200);
        }
        // stopping ilb flushes what the SDK holds: nothing
        ilb.close();

        assertThat(receiver.spans()).isEmpty();
        assertThat(backend.requestHeaders()).hasSize(requests)
                .allSatisfy(headers -> assertThat(headers).containsEntry("traceparent", CLIENT_TRACEPARENT));
    }

    @Test
    void withoutAnEndpointTheClientsTraceparentPassesOnUnchanged() {
        System.clearProperty("otel.exporter.otlp.endpoint");
        RawBackend backend = servers.raw(reply());
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("b1", backend.url(), "healthPath: ",
                "metricsPath: ")));

        HttpResponse<String> response = ilb.send(ilb.request("/v1/chat/completions")
                .header("content-type", "application/json").header("traceparent", CLIENT_TRACEPARENT)
                .header("tracestate", "vendor=1")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(chat("m", 2))).build());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(ilb.context().getRegistry().lookupByNameAndType("ilbRequestRecords", RequestRecords.class)
                .enabled()).isFalse();
        ilb.close();

        assertThat(receiver.spans()).isEmpty();
        assertThat(backend.requestHeaders()).singleElement().satisfies(headers -> assertThat(headers)
                .containsEntry("traceparent", CLIENT_TRACEPARENT).containsEntry("tracestate", "vendor=1"));
    }
}
