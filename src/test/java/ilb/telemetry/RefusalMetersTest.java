package ilb.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import ilb.Appliance;
import ilb.PoolRoute;
import ilb.Servers;
import ilb.protocols.grpc.v2.GRPCInferenceServiceGrpc;
import ilb.protocols.grpc.v2.InferTensorContents;
import ilb.protocols.grpc.v2.ModelInferRequest;
import ilb.protocols.grpc.v2.ModelInferRequest.InferInputTensor;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import org.junit.jupiter.api.Test;

/**
 * Requests refused before a pool are in {@code ilb_requests_total} too, each once, by an outcome of its own and its
 * tenant when the key named one; a model name a client makes up never becomes a label value.
 */
class RefusalMetersTest {

    private static final String LIMITED_KEY = "sk-limited";
    private static final String REQUESTS = "ilb_requests_total";

    @Test
    void eachRefusalCountsOnceByItsOutcomeAndEveryRequestIsCounted() throws Exception {
        int port = Appliance.freePort();
        try (Servers servers = new Servers()) {
            Appliance ilb = servers.ilb(PoolRoute.pool("m", "round-robin", PoolRoute.backend("m-0",
                    servers.fastBackend())) + PoolRoute.pool("other", "round-robin", PoolRoute.backend("other-0",
                    servers.fastBackend())),
                    // minutes pass only when a test says: the limited tenant stays at its one request a minute
                    Map.of("ilbClock", (LongSupplier) () -> 1_000_000L),
                    "camel.management.enabled=true", "camel.management.host=127.0.0.1",
                    "camel.management.port=" + port,
                    // a body of more than half the budget cannot be held twice (as it comes, and its copy): 503
                    "ilb.http.maxRequestBytes=4096", "ilb.http.maxBufferedBytes=4096",
                    "ilb.tenants=test,limited", "ilb.tenant.limited.apiKeys=" + LIMITED_KEY,
                    "ilb.tenant.limited.models=m", "ilb.tenant.limited.requestsPerMinute=1");
            Counted counted = new Counted(port);

            counted.once(() -> assertThat(ilb.post("/v1/chat/completions", Appliance.chat("m", 2)).statusCode())
                    .isEqualTo(200), "model=m", "version=", "stage=production", "tenant=test", "outcome=success");
            counted.once(() -> assertThat(ilb.send(HttpRequest.newBuilder(ilb.request("/v1/chat/completions")
                    .build().uri()).header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(Appliance.chat("m", 2))).build()).statusCode())
                    .isEqualTo(401), "model=", "protocol=http", "tenant=", "priority=", "outcome=unauthorized");
            counted.once(() -> assertThat(ilb.post("/v1/chat/completions", Appliance.chat("nope", 2)).statusCode())
                    .isEqualTo(404), "model=", "protocol=http", "tenant=test", "priority=standard",
                    "outcome=not_found");
            counted.once(() -> assertThat(ilb.post("/v1/nothing", "{}").statusCode()).isEqualTo(404),
                    "protocol=http", "tenant=test", "outcome=not_found");
            counted.once(() -> assertThat(ilb.post("/v1/chat/completions", "{not json").statusCode())
                    .isEqualTo(400), "model=", "version=", "stage=", "tenant=test", "outcome=invalid_request");
            counted.once(() -> assertThat(ilb.get("/v1/chat/completions").statusCode()).isEqualTo(405),
                    "tenant=test", "outcome=invalid_request");
            // refused by its length before its key is checked: no tenant
            counted.once(() -> assertThat(ilb.post("/v1/chat/completions", body(5000)).statusCode())
                    .isEqualTo(413), "tenant=", "outcome=invalid_request");
            counted.once(() -> assertThat(ilb.post("/v1/chat/completions", body(3000)).statusCode())
                    .isEqualTo(503), "protocol=http", "tenant=test", "outcome=overloaded");
            counted.once(() -> assertThat(limited(ilb, "m").statusCode()).isEqualTo(200),
                    "model=m", "tenant=limited", "outcome=success");
            counted.once(() -> assertThat(limited(ilb, "m").statusCode()).isEqualTo(429),
                    "model=m", "version=", "stage=", "protocol=http", "tenant=limited", "priority=standard",
                    "outcome=rate_limited");
            counted.once(() -> assertThat(limited(ilb, "other").statusCode()).isEqualTo(403),
                    "protocol=http", "tenant=limited", "outcome=forbidden");

            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", ilb.grpcPort()).usePlaintext()
                    .build();
            try {
                counted.once(() -> assertThat(grpcFailure(channel, null, "m")).isEqualTo(Status.Code.UNAUTHENTICATED),
                        "model=", "protocol=grpc", "tenant=", "outcome=unauthorized");
                counted.once(() -> assertThat(grpcFailure(channel, Appliance.API_KEY, "nope"))
                        .isEqualTo(Status.Code.NOT_FOUND), "model=", "protocol=grpc", "tenant=test",
                        "outcome=not_found");
                counted.once(() -> assertThat(grpcFailure(channel, Appliance.API_KEY, ""))
                        .isEqualTo(Status.Code.INVALID_ARGUMENT), "protocol=grpc", "tenant=test",
                        "outcome=invalid_request");
                counted.once(() -> assertThat(grpcFailure(channel, LIMITED_KEY, "m"))
                        .isEqualTo(Status.Code.RESOURCE_EXHAUSTED), "model=m", "protocol=grpc", "tenant=limited",
                        "outcome=rate_limited");
                counted.once(() -> assertThat(grpcFailure(channel, LIMITED_KEY, "other"))
                        .isEqualTo(Status.Code.PERMISSION_DENIED), "protocol=grpc", "tenant=limited",
                        "outcome=forbidden");
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            // every request once: none served also counted refused, none refused left out
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Scrape.of(port).sum(REQUESTS))
                    .isEqualTo(16));
        }
    }

    @Test
    void modelNamesClientsMakeUpNeverBecomeLabels() throws Exception {
        int port = Appliance.freePort();
        try (Servers servers = new Servers()) {
            Appliance ilb = servers.ilb(PoolRoute.pool("m", "round-robin", PoolRoute.backend("m-0",
                    servers.fastBackend())), "camel.management.enabled=true", "camel.management.host=127.0.0.1",
                    "camel.management.port=" + port);
            List<String> names = new ArrayList<>();
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", ilb.grpcPort()).usePlaintext()
                    .build();
            try {
                for (int i = 0; i < 200; i++) {
                    String name = "made-up-" + UUID.randomUUID();
                    names.add(name);
                    switch (i % 4) {
                        case 0, 1 -> assertThat(ilb.post("/v1/chat/completions", Appliance.chat(name, 2))
                                .statusCode()).isEqualTo(404);
                        // refused from the request's head
                        case 2 -> assertThat(ilb.post("/v2/models/" + name + "/infer", "{}").statusCode())
                                .isEqualTo(404);
                        default -> assertThat(grpcFailure(channel, Appliance.API_KEY, name))
                                .isEqualTo(Status.Code.NOT_FOUND);
                    }
                }
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                Scrape scrape = Scrape.of(port);
                assertThat(scrape.sum(REQUESTS)).isEqualTo(200);
                // one series a protocol: model "" for every name the catalog does not know
                assertThat(scrape.series(REQUESTS)).hasSize(2).allSatisfy(labels -> {
                    assertThat(labels).containsEntry("model", "").containsEntry("tenant", "test")
                            .containsEntry("outcome", "not_found");
                    assertThat(labels.values()).noneMatch(value -> names.stream().anyMatch(value::contains));
                });
                assertThat(scrape.toString()).doesNotContain("made-up-");
            });
        }
    }

    @Test
    void eachRefusedStatusHasItsOutcome() {
        assertThat(RefusalMeters.outcome(401)).isEqualTo("unauthorized");
        assertThat(RefusalMeters.outcome(403)).isEqualTo("forbidden");
        assertThat(RefusalMeters.outcome(404)).isEqualTo("not_found");
        assertThat(RefusalMeters.outcome(429)).isEqualTo("rate_limited");
        assertThat(RefusalMeters.outcome(503)).isEqualTo("overloaded");
        for (int status : new int[] {400, 405, 408, 413, 414, 417, 431}) {
            assertThat(RefusalMeters.outcome(status)).as("%s", status).isEqualTo("invalid_request");
        }
    }

    /** A chat request over {@code bytes} long, for a model ilb serves. */
    private static String body(int bytes) {
        return "{\"model\":\"m\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"" + "a".repeat(bytes)
                + "\"}]}";
    }

    private static HttpResponse<String> limited(Appliance ilb, String model) {
        return ilb.send(HttpRequest.newBuilder(ilb.request("/v1/chat/completions").build().uri())
                .header("authorization", "Bearer " + LIMITED_KEY).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Appliance.chat(model, 2))).build());
    }

    /** The status a ModelInfer call for the model failed with, with the key (none if null). */
    private static Status.Code grpcFailure(ManagedChannel channel, String key, String model) {
        Metadata headers = new Metadata();
        if (key != null) {
            headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + key);
        }
        try {
            GRPCInferenceServiceGrpc.newBlockingStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .modelInfer(ModelInferRequest.newBuilder().setModelName(model).setId("r1")
                            .addInputs(InferInputTensor.newBuilder().setName("INPUT0").setDatatype("FP32")
                                    .addShape(1).addShape(1).setContents(InferTensorContents.newBuilder()
                                            .addFp32Contents(1)))
                            .build());
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
        throw new AssertionError("the call for " + model + " was answered");
    }

    /** Checks that a request adds exactly one to the series with its labels, and one to all requests. */
    private record Counted(int port) {

        void once(ThrowingRunnable request, String... labels) throws Exception {
            Scrape before = Scrape.of(port);
            double matching = before.sum(REQUESTS, labels);
            double all = before.sum(REQUESTS);
            request.run();
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                Scrape after = Scrape.of(port);
                assertThat(after.sum(REQUESTS, labels)).as("requests with %s", List.of(labels))
                        .isEqualTo(matching + 1);
                assertThat(after.sum(REQUESTS)).as("all requests").isEqualTo(all + 1);
            });
        }
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }
}
