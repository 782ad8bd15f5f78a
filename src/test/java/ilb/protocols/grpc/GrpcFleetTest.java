package ilb.protocols.grpc;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import ilb.Appliance;
import ilb.Servers;
import ilb.inference.Protocol;
import ilb.protocols.grpc.v2.GRPCInferenceServiceGrpc;
import ilb.protocols.grpc.v2.InferTensorContents;
import ilb.protocols.grpc.v2.ModelInferRequest;
import ilb.protocols.grpc.v2.ModelInferRequest.InferInputTensor;
import ilb.protocols.grpc.v2.ModelInferResponse;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static ilb.protocols.grpc.GrpcClients.channel;
import static ilb.protocols.grpc.GrpcClients.headers;
import static ilb.protocols.grpc.GrpcClients.infer;
import static ilb.protocols.grpc.GrpcClients.key;
import static ilb.protocols.grpc.GrpcClients.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A grpc-java client through ilb to a fleet: one pool of model {@value #MODEL} on two gRPC simulated backends
 * ({@code grpc-0}, {@code grpc-1}) and one HTTP one ({@code http-0}), round robin. Calls reach both kinds of backend
 * and come back as they went, 32 MiB tensors too; a backend that dies costs the clients nothing; the client's deadline
 * and cancel reach the backend, and the backend's own status reaches the client; the model's health follows its
 * backends; a REST client reaches the gRPC backends. Each test starts its own fleet, and pins calls to one backend by
 * draining the others ({@link #only}).
 */
class GrpcFleetTest {

    private static final String MODEL = "resnet";
    private static final List<String> BACKENDS = List.of("grpc-0", "grpc-1", "http-0");
    private static final int MAX_MESSAGE_BYTES = 64 << 20;
    /** A time to first token that holds a call at its backend until the test ends it (10 min). */
    private static final double HELD_MS = 600_000;
    private static final Metadata.Key<String> SERVED_BY = key("x-ilb-backend");
    private static final Metadata.Key<String> ATTEMPTS = key("x-ilb-attempts");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Servers servers = new Servers();
    private SimulatedBackend grpc0;
    private SimulatedBackend grpc1;
    private SimulatedBackend http0;
    private Appliance ilb;
    private ManagedChannel channel;

    /** The fleet, {@code grpc-0} with the given time to first token, the others fast. */
    private void start(double grpc0TtftMs) {
        grpc0 = servers.backend(simulator(Protocol.GRPC).ttftMs(grpc0TtftMs));
        grpc1 = servers.backend(simulator(Protocol.GRPC));
        http0 = servers.backend(simulator(Protocol.HTTP));
        // health checked often: a backend that dies is seen down soon
        ilb = servers.ilb(pool(MODEL, "round-robin", backend("grpc-0", grpc0, "healthInterval:200ms"),
                backend("grpc-1", grpc1, "healthInterval:200ms"), backend("http-0", http0, "healthInterval:200ms")));
        channel = channel(ilb.grpcPort(), MAX_MESSAGE_BYTES);
    }

    private static SimulatorOptions simulator(Protocol protocol) {
        return new SimulatorOptions().protocol(protocol).models(MODEL).ttftMs(1).itlMs(1);
    }

    @AfterEach
    void stop() throws Exception {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        servers.close();
    }

    @Test
    void typedTensorsComeBackAsTheyWentThroughGrpcAndHttpBackends() throws Exception {
        start(1);
        Map<String, Long> served = new TreeMap<>();

        for (int i = 0; i < 6; i++) {
            ModelInferRequest request = typed("call-" + i);
            Served answer = call(request);
            assertThat(answer.status().isOk()).as("call %d: %s", i, answer.status()).isTrue();
            assertThat(answer.response()).isEqualTo(echo(request));
            served.merge(answer.backend(), 1L, Long::sum);
        }

        // round robin: each kind of backend served, and each backend counted what ilb says it served
        assertThat(served).containsOnlyKeys(BACKENDS);
        assertThat(served).isEqualTo(Map.of("grpc-0", grpc0.inferenceRequests(), "grpc-1", grpc1.inferenceRequests(),
                "http-0", http0.inferenceRequests()));
    }

    @Test
    void callsInFlightOnAGrpcBackendThatDiesAndCallsAfterItAllSucceed() throws Exception {
        start(HELD_MS);
        List<CompletableFuture<Served>> before = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            before.add(send(typed("before-" + i), 60));
        }
        // grpc-0 holds its share of them; the others have answered theirs
        await().until(() -> before.stream().filter(CompletableFuture::isDone).count() + grpc0.running()
                == before.size());
        List<CompletableFuture<Served>> held = before.stream().filter(call -> !call.isDone()).toList();
        assertThat(held).hasSize(grpc0.running()).isNotEmpty();

        grpc0.crash();
        List<CompletableFuture<Served>> after = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            after.add(send(typed("after-" + i), 60));
        }

        List<Served> answers = new ArrayList<>();
        for (CompletableFuture<Served> call : before) {
            answers.add(call.get(60, TimeUnit.SECONDS));
        }
        for (CompletableFuture<Served> call : after) {
            answers.add(call.get(60, TimeUnit.SECONDS));
        }
        assertThat(answers).hasSize(12).allSatisfy(answer -> {
            assertThat(answer.status().getCode()).as("%s", answer.status()).isEqualTo(Status.Code.OK);
            assertThat(answer.backend()).isNotEqualTo("grpc-0");
        });
        // the calls it held were sent again to another backend, after the one that died
        for (CompletableFuture<Served> call : held) {
            assertThat(call.get().attempts()).isEqualTo("2");
        }
        // nothing reached it after it died
        assertThat(grpc0.inferenceRequests()).isEqualTo(held.size());
        assertThat(grpc1.inferenceRequests() + http0.inferenceRequests()).isEqualTo(12);
        await().until(() -> ilb.backend("grpc-0").isDown());
    }

    @Test
    void a32MiBRawTensorComesBackByteForByteThroughAGrpcAndAnHttpBackend() throws Exception {
        start(1);
        byte[] tensor = new byte[32 << 20];
        new Random(13).nextBytes(tensor);
        ModelInferRequest request = ModelInferRequest.newBuilder().setModelName(MODEL).setId("large")
                .addInputs(InferInputTensor.newBuilder().setName("INPUT0").setDatatype("UINT8").addShape(1)
                        .addShape(tensor.length))
                // wrapped, not copied: the test holds as few 32 MiB arrays as it can
                .addRawInputContents(UnsafeByteOperations.unsafeWrap(tensor)).build();
        ModelInferResponse echoed = echo(request);

        only("grpc-0");
        Served viaGrpc = call(request);
        assertThat(viaGrpc.status().isOk()).as("%s", viaGrpc.status()).isTrue();
        assertThat(viaGrpc.backend()).isEqualTo("grpc-0");
        assertThat(viaGrpc.response()).isEqualTo(echoed);

        // the HTTP backend gets it as REST's binary tensor extension, and its answer in it is turned back
        only("http-0");
        Served viaHttp = call(request);
        assertThat(viaHttp.status().isOk()).as("%s", viaHttp.status()).isTrue();
        assertThat(viaHttp.backend()).isEqualTo("http-0");
        assertThat(viaHttp.response()).isEqualTo(echoed);
    }

    @Test
    void theClientsDeadlineEndsTheCallAtTheGrpcBackend() throws Exception {
        start(HELD_MS);
        only("grpc-0");

        Served late = send(infer(MODEL), 2).get(60, TimeUnit.SECONDS);

        assertThat(late.status().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        // the backend call ended with the client's deadline, not after the simulator's 10 minutes or ilb's backend
        // deadline (10 min)
        await().until(() -> grpc0.cancelledCalls() == 1 && ilb.backend("grpc-0").inFlight() == 0);
        assertThat(grpc0.inferenceRequests()).isEqualTo(1);
    }

    @Test
    void aClientThatCancelsCancelsTheCallAtTheGrpcBackend() throws Exception {
        start(HELD_MS);
        only("grpc-0");
        Context.CancellableContext context = Context.current().withCancellation();

        CompletableFuture<Served> call = context.call(() -> send(infer(MODEL), 60));
        await().until(() -> grpc0.running() == 1);
        context.cancel(null);

        assertThat(call.get(60, TimeUnit.SECONDS).status().getCode()).isEqualTo(Status.Code.CANCELLED);
        await().until(() -> grpc0.cancelledCalls() == 1 && ilb.backend("grpc-0").inFlight() == 0);
        assertThat(grpc0.inferenceRequests()).isEqualTo(1);
    }

    @Test
    void aGrpcBackendsOwnErrorStatusReachesTheClientUnchanged() throws Exception {
        start(1);
        only("grpc-0");
        // FAILED_PRECONDITION: as HTTP 400 it would come back INVALID_ARGUMENT; only the backend's own code passes so
        grpc0.faults().errorRate(1).errorStatus(418);

        Served failed = call(infer(MODEL));
        grpc0.faults().errorRate(0);
        // a version the pool (for any version) passes on, and the backend does not have
        Served unknownVersion = call(infer(MODEL).toBuilder().setModelVersion("7").build());

        assertThat(failed.status().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(failed.status().getDescription()).isEqualTo("injected failure");
        assertThat(unknownVersion.status().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(unknownVersion.status().getDescription()).isEqualTo("model resnet version 7 not found");
        assertThat(List.of(failed, unknownVersion)).allSatisfy(answer -> {
            assertThat(answer.backend()).isEqualTo("grpc-0");
            // the backend's answer, not a failure: not tried elsewhere
            assertThat(answer.attempts()).isEqualTo("1");
        });
        // the simulator counts an infer once it has found the model: the first call only
        assertThat(grpc0.inferenceRequests()).isEqualTo(1);
    }

    @Test
    void theModelIsServingWhileAnyOfItsBackendsIsUpAndNotServingWhenAllAreDown() {
        start(1);
        HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
        // refreshed every second: ilb may have just started, and not know the model yet (NOT_FOUND)
        await().ignoreExceptionsInstanceOf(StatusRuntimeException.class)
                .until(() -> health.check(service(MODEL)).getStatus() == ServingStatus.SERVING);

        grpc0.crash();
        grpc1.crash();
        await().until(() -> ilb.backend("grpc-0").isDown() && ilb.backend("grpc-1").isDown());
        assertThat(health.check(service(MODEL)).getStatus()).isEqualTo(ServingStatus.SERVING);

        http0.crash();
        await().until(() -> health.check(service(MODEL)).getStatus() == ServingStatus.NOT_SERVING);
    }

    @Test
    void aRestClientThroughIlbsHttpApiReachesTheGrpcBackends() throws Exception {
        start(1);
        ilb.backend("http-0").drain();
        String inputs = """
                [{"name": "INPUT0", "datatype": "FP32", "shape": [1, 3], "data": [1.5, -2.25, 3.0]},
                 {"name": "INPUT1", "datatype": "INT64", "shape": [2], "data": [7, -9000000000]},
                 {"name": "INPUT2", "datatype": "BYTES", "shape": [2], "data": ["hello", "wörld"]}]""";
        JsonNode outputs = JSON.readTree(inputs.replace("INPUT", "OUTPUT"));

        List<String> served = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> response = ilb.post("/v2/models/" + MODEL + "/infer",
                    "{\"id\": \"rest-" + i + "\", \"inputs\": " + inputs + "}");
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            JsonNode body = JSON.readTree(response.body());
            assertThat(body.path("id").asText()).isEqualTo("rest-" + i);
            assertThat(body.path("model_name").asText()).isEqualTo(MODEL);
            assertThat(body.path("outputs")).isEqualTo(outputs);
            served.add(Appliance.servedBy(response));
        }

        assertThat(served).containsExactlyInAnyOrder("grpc-0", "grpc-1");
        assertThat(grpc0.inferenceRequests()).isEqualTo(1);
        assertThat(grpc1.inferenceRequests()).isEqualTo(1);
        assertThat(http0.inferenceRequests()).isZero();
    }

    // -- helpers

    /** Only this backend of the pool takes new calls: the others are drained. */
    private void only(String id) {
        for (String backend : BACKENDS) {
            if (backend.equals(id)) {
                ilb.backend(backend).undrain();
            } else {
                ilb.backend(backend).drain();
            }
        }
    }

    /** An infer request with typed contents of three kinds: FP32, INT64 and BYTES (UTF-8, as REST carries them). */
    private static ModelInferRequest typed(String id) {
        return ModelInferRequest.newBuilder().setModelName(MODEL).setId(id)
                .addInputs(InferInputTensor.newBuilder().setName("INPUT0").setDatatype("FP32").addShape(1).addShape(3)
                        .setContents(InferTensorContents.newBuilder().addFp32Contents(1.5f).addFp32Contents(-2.25f)
                                .addFp32Contents(3)))
                .addInputs(InferInputTensor.newBuilder().setName("INPUT1").setDatatype("INT64").addShape(2)
                        .setContents(InferTensorContents.newBuilder().addInt64Contents(7)
                                .addInt64Contents(-9_000_000_000L)))
                .addInputs(InferInputTensor.newBuilder().setName("INPUT2").setDatatype("BYTES").addShape(2)
                        .setContents(InferTensorContents.newBuilder().addBytesContents(ByteString.copyFromUtf8("hello"))
                                .addBytesContents(ByteString.copyFromUtf8("wörld"))))
                .build();
    }

    /** What the simulators answer an infer: each input as an output named for it (INPUT as OUTPUT), as it came. */
    private static ModelInferResponse echo(ModelInferRequest request) {
        ModelInferResponse.Builder response = ModelInferResponse.newBuilder().setModelName(request.getModelName())
                .setModelVersion("1").setId(request.getId());
        for (InferInputTensor input : request.getInputsList()) {
            ModelInferResponse.InferOutputTensor.Builder output = response.addOutputsBuilder()
                    .setName(input.getName().replace("INPUT", "OUTPUT")).setDatatype(input.getDatatype())
                    .addAllShape(input.getShapeList());
            if (input.hasContents()) {
                output.setContents(input.getContents());
            }
        }
        return response.addAllRawOutputContents(request.getRawInputContentsList()).build();
    }

    /** A ModelInfer call through ilb with tenant "test"'s key, to its end. */
    private Served call(ModelInferRequest request) throws Exception {
        return send(request, 60).get(60, TimeUnit.SECONDS);
    }

    /** Starts a ModelInfer call through ilb with tenant "test"'s key and the deadline given (seconds from now). */
    private CompletableFuture<Served> send(ModelInferRequest request, long deadlineSeconds) {
        AtomicReference<Metadata> headers = new AtomicReference<>();
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        CompletableFuture<Served> ended = new CompletableFuture<>();
        GRPCInferenceServiceGrpc.newStub(channel).withDeadlineAfter(deadlineSeconds, TimeUnit.SECONDS)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers(Appliance.API_KEY)),
                        MetadataUtils.newCaptureMetadataInterceptor(headers, trailers))
                .modelInfer(request, new StreamObserver<>() {
                    private ModelInferResponse response;

                    @Override
                    public void onNext(ModelInferResponse value) {
                        response = value;
                    }

                    @Override
                    public void onError(Throwable t) {
                        ended.complete(new Served(null, Status.fromThrowable(t), headers.get(), trailers.get()));
                    }

                    @Override
                    public void onCompleted() {
                        ended.complete(new Served(response, Status.OK, headers.get(), trailers.get()));
                    }
                });
        return ended;
    }

    /**
     * How a call ended for the client.
     *
     * @param response the response message; null unless the status is OK
     * @param headers  its initial metadata, where ilb says who served a response (null if none came) ...
     * @param trailers ... and an error
     */
    private record Served(ModelInferResponse response, Status status, Metadata headers, Metadata trailers) {

        String backend() {
            return said(SERVED_BY);
        }

        String attempts() {
            return said(ATTEMPTS);
        }

        private String said(Metadata.Key<String> key) {
            String value = headers == null ? null : headers.get(key);
            return value != null || trailers == null ? value : trailers.get(key);
        }
    }
}
