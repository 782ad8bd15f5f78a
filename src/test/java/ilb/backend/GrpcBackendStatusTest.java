package ilb.backend;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.RetryInfo;
import ilb.Appliance;
import ilb.Servers;
import ilb.inference.Protocol;
import ilb.protocols.grpc.GrpcStatuses;
import ilb.protocols.grpc.v2.GRPCInferenceServiceGrpc;
import ilb.protocols.grpc.v2.InferTensorContents;
import ilb.protocols.grpc.v2.ModelInferRequest;
import ilb.protocols.grpc.v2.ModelInferRequest.InferInputTensor;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * A gRPC backend's error status through ilb, to a REST client and to a gRPC client: a description of many lines
 * reaches both whole; a request over the backend's message size limit is the client's (413, RESOURCE_EXHAUSTED), sent
 * once and held against no backend; a backend's rate limit cools it for as long as it asks, and the client learns
 * that too.
 */
class GrpcBackendStatusTest {

    private static final String INFER_METHOD = "inference.GRPCInferenceService/ModelInfer";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Servers servers = new Servers();
    private final List<KServeGrpcServer> grpcServers = new ArrayList<>();
    private Appliance ilb;
    private ManagedChannel channel;

    @AfterEach
    void stop() throws Exception {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        servers.close();
        for (KServeGrpcServer server : grpcServers) {
            server.close();
        }
    }

    private void start(String routes) {
        ilb = servers.ilb(routes);
        channel = NettyChannelBuilder.forAddress("127.0.0.1", ilb.grpcPort()).usePlaintext().build();
    }

    private KServeGrpcServer grpcServer(int maxRequestBytes, KServeGrpcServer.Infer infer) {
        KServeGrpcServer server = KServeGrpcServer.taking(maxRequestBytes, infer);
        grpcServers.add(server);
        return server;
    }

    @Test
    void aDescriptionOfManyLinesReachesARestAndAGrpcClientWhole() throws Exception {
        // as KServe's Python server words a pydantic error
        String description = "line1\nline2";
        KServeGrpcServer server = grpcServer(1 << 20, (request, response) -> response.onError(
                Status.INVALID_ARGUMENT.withDescription(description).asRuntimeException()));
        start(pool("m", "round-robin", backend("g-0", server.url())));

        HttpResponse<String> rest = rest("m", "{\"inputs\": [{\"name\": \"INPUT0\", \"datatype\": \"FP32\","
                + " \"shape\": [1, 3], \"data\": [1, 2, 3]}]}");
        Call grpc = call(infer("m", ByteString.copyFromUtf8("abc")));

        assertThat(rest.statusCode()).as(rest.body()).isEqualTo(400);
        assertThat(JSON.readTree(rest.body()).path("error").asText()).isEqualTo(description);
        assertThat(rest.headers().map().keySet()).noneMatch(name -> name.regionMatches(true, 0, "grpc-", 0, 5));
        assertThat(grpc.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(grpc.status().getDescription()).isEqualTo(description);
        assertThat(server.inferRequests).hasSize(2);
    }

    @Test
    void aRequestOverTheBackendsSizeLimitIsRefusedOnceAndCostsNoBackendItsPlace() throws Exception {
        KServeGrpcServer g0 = grpcServer(1 << 20, KServeGrpcServer::answerEmpty);
        KServeGrpcServer g1 = grpcServer(1 << 20, KServeGrpcServer::answerEmpty);
        start(pool("m", "round-robin", backend("g-0", g0.url()), backend("g-1", g1.url())));
        String twoMiB = "x".repeat(2 << 20);

        Call grpc = call(infer("m", ByteString.copyFromUtf8(twoMiB)));
        HttpResponse<String> rest = rest("m", "{\"inputs\": [{\"name\": \"INPUT0\", \"datatype\": \"BYTES\","
                + " \"shape\": [1], \"data\": [\"" + twoMiB + "\"]}]}");

        // the backend's own status (grpc-java's words) to a gRPC client; to a REST one, a 413
        assertThat(grpc.status().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(grpc.status().getDescription()).startsWith("gRPC message exceeds maximum size 1048576: ");
        assertThat(grpc.trailers().get(key("x-ilb-attempts"))).isEqualTo("1");
        assertThat(rest.statusCode()).as(rest.body()).isEqualTo(413);
        assertThat(JSON.readTree(rest.body()).path("error").asText())
                .startsWith("gRPC message exceeds maximum size 1048576: ");
        assertThat(Appliance.attempts(rest)).isEqualTo(1);
        // each sent once (a refused call is recorded off the transport's thread), neither taken in
        await().until(() -> inferCalls(g0) + inferCalls(g1) == 2);
        assertThat(g0.inferRequests).isEmpty();
        assertThat(g1.inferRequests).isEmpty();
        // neither cooled, nor counted as failed: both serve the next calls at once
        for (String id : List.of("g-0", "g-1")) {
            Backend backend = ilb.backend(id);
            assertThat(backend.availability(System.nanoTime())).as(id).isEqualTo(Backend.Availability.AVAILABLE);
            assertThat(backend.breaker().getMetrics().getNumberOfFailedCalls()).as(id).isZero();
        }
        List<String> served = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Call small = call(infer("m", ByteString.copyFromUtf8("abc")));
            assertThat(small.status().isOk()).as("%s", small.status()).isTrue();
            served.add(small.headers().get(key("x-ilb-backend")));
        }
        assertThat(served).containsExactlyInAnyOrder("g-0", "g-1");
        assertThat(g0.inferRequests.size() + g1.inferRequests.size()).isEqualTo(2);
        // and nothing more: the refused ones were not sent again
        assertThat(inferCalls(g0) + inferCalls(g1)).isEqualTo(4);
    }

    @Test
    void aRateLimitingBackendIsCooledForAsLongAsItAsksAndTheClientIsToldWhenToRetry() throws Exception {
        SimulatedBackend limited0 = rateLimited("m", 30);
        SimulatedBackend limited1 = rateLimited("m", 50);
        SimulatedBackend limitedForRest = rateLimited("r", 7);
        start(pool("m", "round-robin", backend("limited-0", limited0), backend("limited-1", limited1))
                + pool("r", "round-robin", backend("r-0", limitedForRest)));

        long calling = System.nanoTime();
        Call grpc = call(infer("m", ByteString.copyFromUtf8("abc")));
        long called = System.nanoTime();
        HttpResponse<String> rest = rest("r", "{\"inputs\": [{\"name\": \"INPUT0\", \"datatype\": \"FP32\","
                + " \"shape\": [1], \"data\": [1]}]}");

        // both tried, and the last one's answer passed on, with the wait it asked for
        assertThat(grpc.status().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(grpc.trailers().get(key("x-ilb-attempts"))).isEqualTo("2");
        long asked = grpc.trailers().get(key("x-ilb-backend")).equals("limited-0") ? 30 : 50;
        assertThat(grpc.retryDelaySeconds()).isEqualTo(asked);
        assertThat(grpc.trailers().get(GrpcStatuses.RETRY_AFTER)).isEqualTo(Long.toString(asked));
        assertThat(limited0.inferenceRequests()).isEqualTo(1);
        assertThat(limited1.inferenceRequests()).isEqualTo(1);
        // each cooled for its own retry-after from when its answer came, during the call, as an HTTP backend's 429
        // cools it; a 429 is no failure
        assertThat(ilb.backend("limited-0").coolingMillis(calling)).isGreaterThanOrEqualTo(30_000L);
        assertThat(ilb.backend("limited-0").coolingMillis(called)).isLessThanOrEqualTo(30_000L);
        assertThat(ilb.backend("limited-1").coolingMillis(calling)).isGreaterThanOrEqualTo(50_000L);
        assertThat(ilb.backend("limited-1").coolingMillis(called)).isLessThanOrEqualTo(50_000L);
        assertThat(ilb.backend("limited-0").breaker().getMetrics().getNumberOfFailedCalls()).isZero();
        assertThat(ilb.backend("limited-1").breaker().getMetrics().getNumberOfFailedCalls()).isZero();
        // a REST client gets the 429 and its Retry-After, as from an HTTP backend
        assertThat(rest.statusCode()).as(rest.body()).isEqualTo(429);
        assertThat(rest.headers().firstValue("retry-after")).hasValue("7");
        assertThat(rest.headers().map().keySet()).noneMatch(name -> name.regionMatches(true, 0, "grpc-", 0, 5));
        assertThat(limitedForRest.inferenceRequests()).isEqualTo(1);
    }

    // -- helpers

    /** A gRPC simulated backend of the model that answers every infer with RESOURCE_EXHAUSTED and a retry-after. */
    private SimulatedBackend rateLimited(String model, int retryAfterSeconds) {
        SimulatedBackend backend = servers.backend(new SimulatorOptions().protocol(Protocol.GRPC).models(model));
        backend.faults().rateLimitRate(1.0).retryAfterSeconds(retryAfterSeconds);
        return backend;
    }

    /** An infer request for the model: one BYTES tensor of one element. */
    private static ModelInferRequest infer(String model, ByteString element) {
        return ModelInferRequest.newBuilder().setModelName(model).setId("r1")
                .addInputs(InferInputTensor.newBuilder().setName("INPUT0").setDatatype("BYTES").addShape(1)
                        .setContents(InferTensorContents.newBuilder().addBytesContents(element)))
                .build();
    }

    /** A REST infer through ilb; a response that never comes fails the test (in 60 s) rather than hang it. */
    private HttpResponse<String> rest(String model, String json) {
        return ilb.send(ilb.request("/v2/models/" + model + "/infer").timeout(Duration.ofSeconds(60))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    /** A ModelInfer call through ilb with tenant "test"'s key, to its end. */
    private Call call(ModelInferRequest request) {
        AtomicReference<Metadata> headers = new AtomicReference<>();
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        Metadata key = new Metadata();
        key.put(key("authorization"), "Bearer " + Appliance.API_KEY);
        var stub = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(key),
                        MetadataUtils.newCaptureMetadataInterceptor(headers, trailers));
        StatusRuntimeException failed = catchThrowableOfType(StatusRuntimeException.class,
                () -> stub.modelInfer(request));
        return failed == null ? new Call(Status.OK, headers.get(), trailers.get())
                : new Call(failed.getStatus(), headers.get(), failed.getTrailers());
    }

    private static int inferCalls(KServeGrpcServer server) {
        return (int) server.calls.stream().filter(call -> call.method().equals(INFER_METHOD)).count();
    }

    private static Metadata.Key<String> key(String name) {
        return Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
    }

    /** How a call ended for the client: its status, its initial metadata (if any came) and its trailers. */
    private record Call(Status status, Metadata headers, Metadata trailers) {

        long retryDelaySeconds() throws InvalidProtocolBufferException {
            var details = StatusProto.fromStatusAndTrailers(status, trailers).getDetailsList();
            assertThat(details).as("status details").anyMatch(any -> any.is(RetryInfo.class));
            return details.stream().filter(any -> any.is(RetryInfo.class)).findFirst().orElseThrow()
                    .unpack(RetryInfo.class).getRetryDelay().getSeconds();
        }
    }
}
