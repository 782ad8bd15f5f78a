package ilb.simulator;

import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import ilb.protocols.grpc.GrpcStatuses;
import ilb.inference.Protocol;
import ilb.protocols.grpc.v2.GRPCInferenceServiceGrpc;
import ilb.protocols.grpc.v2.InferTensorContents;
import ilb.protocols.grpc.v2.ModelInferRequest;
import ilb.protocols.grpc.v2.ModelInferResponse;
import ilb.protocols.grpc.v2.ModelMetadataRequest;
import ilb.protocols.grpc.v2.ModelMetadataResponse;
import ilb.protocols.grpc.v2.ModelReadyRequest;
import ilb.protocols.grpc.v2.ServerLiveRequest;
import ilb.protocols.grpc.v2.ServerMetadataRequest;
import ilb.protocols.grpc.v2.ServerReadyRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** A simulated backend serving KServe v2 over gRPC, as a grpc-java client built from the generated stubs sees it. */
class KServeGrpcServiceTest {

    private SimulatedBackend backend;
    private ManagedChannel channel;

    @AfterEach
    void stop() {
        channel.shutdownNow();
        backend.close();
    }

    private GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub start(SimulatorOptions options) {
        backend = SimulatedBackend.start(options.protocol(Protocol.GRPC));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", backend.port()).usePlaintext()
                .maxInboundMessageSize(64 << 20).build();
        return GRPCInferenceServiceGrpc.newBlockingStub(channel);
    }

    private static ModelInferRequest.InferInputTensor.Builder input(String name, String datatype, Long... shape) {
        return ModelInferRequest.InferInputTensor.newBuilder().setName(name).setDatatype(datatype)
                .addAllShape(List.of(shape));
    }

    private static ModelInferRequest.InferInputTensor.Builder fp32(String name, float... values) {
        InferTensorContents.Builder contents = InferTensorContents.newBuilder();
        for (float value : values) {
            contents.addFp32Contents(value);
        }
        return input(name, "FP32", 1L, (long) values.length).setContents(contents);
    }

    private static ModelInferRequest.Builder infer(ModelInferRequest.InferInputTensor.Builder... inputs) {
        ModelInferRequest.Builder request = ModelInferRequest.newBuilder().setModelName("m");
        for (ModelInferRequest.InferInputTensor.Builder input : inputs) {
            request.addInputs(input);
        }
        return request;
    }

    private static Status.Code code(Throwable failure) {
        return Status.fromThrowable(failure).getCode();
    }

    @Test
    void echoesTypedContentsAsTypedOutputs() {
        var stub = start(new SimulatorOptions().models("m").versions("1", "2").ttftMs(1));
        ModelInferRequest request = infer(fp32("INPUT0", 1, 2, 3),
                input("INPUT1", "BYTES", 2L).setContents(InferTensorContents.newBuilder()
                        .addBytesContents(ByteString.copyFromUtf8("a")).addBytesContents(ByteString.copyFromUtf8("b"))),
                input("INPUT2", "INT32", 2L, 1L).setContents(InferTensorContents.newBuilder().addIntContents(4)
                        .addIntContents(-5))).setId("req-7").build();

        ModelInferResponse response = stub.modelInfer(request);

        assertThat(backend.url()).isEqualTo("grpc://127.0.0.1:" + backend.port());
        assertThat(response.getModelName()).isEqualTo("m");
        // no version asked: the newest answers
        assertThat(response.getModelVersion()).isEqualTo("2");
        assertThat(response.getId()).isEqualTo("req-7");
        assertThat(response.getOutputsList()).hasSize(3);
        for (int i = 0; i < 3; i++) {
            ModelInferRequest.InferInputTensor in = request.getInputs(i);
            ModelInferResponse.InferOutputTensor out = response.getOutputs(i);
            assertThat(out.getName()).isEqualTo("OUTPUT" + i);
            assertThat(out.getDatatype()).isEqualTo(in.getDatatype());
            assertThat(out.getShapeList()).isEqualTo(in.getShapeList());
            assertThat(out.getContents()).isEqualTo(in.getContents());
        }
        assertThat(response.getRawOutputContentsList()).isEmpty();
        assertThat(backend.inferenceRequests()).isEqualTo(1);
    }

    @Test
    void echoesRawContentsByteForByteUpTo32MiB() {
        var stub = start(new SimulatorOptions().models("m").versions("1", "2").ttftMs(1));
        byte[] big = new byte[32 << 20];
        new Random(7).nextBytes(big);
        ByteString image = ByteString.copyFrom(big);
        ByteString pair = ByteString.copyFrom(new byte[] {0, 0, (byte) 0x80, 0x3f, 0, 0, 0, 0x40});
        ModelInferRequest request = infer(input("INPUT0", "UINT8", 1L, (long) big.length), input("INPUT1", "FP32", 2L))
                .setModelVersion("1").addRawInputContents(image).addRawInputContents(pair).build();

        ModelInferResponse response = stub.modelInfer(request);

        assertThat(response.getModelVersion()).isEqualTo("1");
        assertThat(response.getOutputsList()).extracting(ModelInferResponse.InferOutputTensor::getName)
                .containsExactly("OUTPUT0", "OUTPUT1");
        assertThat(response.getOutputs(0).getShapeList()).containsExactly(1L, (long) big.length);
        assertThat(response.getOutputs(0).hasContents()).isFalse();
        assertThat(response.getRawOutputContentsCount()).isEqualTo(2);
        assertThat(response.getRawOutputContents(0).equals(image)).as("32 MiB echoed byte for byte").isTrue();
        assertThat(response.getRawOutputContents(1)).isEqualTo(pair);
    }

    static Stream<Arguments> badInfers() {
        ByteString twelve = ByteString.copyFrom(new byte[12]);
        return Stream.of(
                Arguments.of(infer(), "the request has no inputs"),
                Arguments.of(infer(fp32("", 1)), "input 0 has no name"),
                Arguments.of(infer(fp32("INPUT0", 1).clearDatatype()), "input 'INPUT0' has no datatype"),
                Arguments.of(infer(fp32("INPUT0", 1).setDatatype("FLOAT")), "invalid datatype 'FLOAT'"),
                Arguments.of(infer(fp32("INPUT0", 1).clearShape()), "input 'INPUT0' has no shape"),
                Arguments.of(infer(input("INPUT0", "FP32", 1L, -3L)), "negative dimension in its shape [1, -3]"),
                Arguments.of(infer(fp32("INPUT0", 1, 2).clearShape().addShape(3)),
                        "unexpected number of elements 2 for input 'INPUT0', expecting 3"),
                Arguments.of(infer(input("INPUT0", "FP32", 2L).setContents(InferTensorContents.newBuilder()
                        .addIntContents(1).addIntContents(2))), "another datatype than FP32"),
                Arguments.of(infer(input("INPUT0", "FP16", 1L).setContents(InferTensorContents.newBuilder()
                        .addFp32Contents(1))), "send it in raw_input_contents"),
                Arguments.of(infer(fp32("INPUT0", 1, 2, 3)).addRawInputContents(twelve), "send its data one way"),
                Arguments.of(infer(input("INPUT0", "FP32", 3L), input("INPUT1", "FP32", 3L))
                        .addRawInputContents(twelve), "expected 2 raw_input_contents, one per input, got 1"),
                Arguments.of(infer(input("INPUT0", "FP32", 1L, 4L)).addRawInputContents(twelve),
                        "unexpected total byte size 12 for input 'INPUT0', expecting 16"));
    }

    @ParameterizedTest
    @MethodSource("badInfers")
    void refusesAMalformedInferWithInvalidArgumentLikeTriton(ModelInferRequest.Builder request, String problem) {
        var stub = start(new SimulatorOptions().models("m").ttftMs(1));

        assertThatThrownBy(() -> stub.modelInfer(request.build())).isInstanceOfSatisfying(
                StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).contains(problem);
                });
        assertThat(backend.inferenceRequests()).isEqualTo(1);
        assertThat(backend.running()).isZero();
    }

    @Test
    void answersAnUnknownModelOrVersionWithNotFound() {
        var stub = start(new SimulatorOptions().models("m").versions("1", "2").ttftMs(1));

        assertThatThrownBy(() -> stub.modelInfer(infer(fp32("INPUT0", 1)).setModelName("other").build()))
                .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.NOT_FOUND))
                .hasMessageContaining("model other not found");
        assertThatThrownBy(() -> stub.modelInfer(infer(fp32("INPUT0", 1)).setModelVersion("3").build()))
                .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.NOT_FOUND))
                .hasMessageContaining("model m version 3 not found");
        assertThatThrownBy(() -> stub.modelReady(ModelReadyRequest.newBuilder().setName("m").setVersion("3").build()))
                .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.NOT_FOUND));
        assertThatThrownBy(() -> stub.modelMetadata(ModelMetadataRequest.newBuilder().setName("other").build()))
                .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.NOT_FOUND));
        // as over REST, a request for a model not served is no inference
        assertThat(backend.inferenceRequests()).isZero();
    }

    @Test
    void answersLivenessReadinessAndMetadataLikeItsRestPath() {
        var stub = start(new SimulatorOptions().models("m").versions("1", "2"));

        assertThat(stub.serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
        assertThat(stub.serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isTrue();
        assertThat(stub.serverMetadata(ServerMetadataRequest.getDefaultInstance()).getName())
                .isEqualTo("ilb-simulator");
        assertThat(stub.modelReady(ModelReadyRequest.newBuilder().setName("m").build()).getReady()).isTrue();
        assertThat(stub.modelReady(ModelReadyRequest.newBuilder().setName("m").setVersion("1").build()).getReady())
                .isTrue();
        ModelMetadataResponse metadata = stub.modelMetadata(ModelMetadataRequest.newBuilder().setName("m").build());
        assertThat(metadata.getName()).isEqualTo("m");
        assertThat(metadata.getVersionsList()).containsExactly("1", "2");
        assertThat(metadata.getPlatform()).isEqualTo("ilb-simulator");
        assertThat(metadata.getInputs(0).getName()).isEqualTo("INPUT0");
        assertThat(metadata.getInputs(0).getDatatype()).isEqualTo("FP32");
        assertThat(metadata.getInputs(0).getShapeList()).containsExactly(-1L, -1L);
        assertThat(metadata.getOutputs(0).getName()).isEqualTo("OUTPUT0");
    }

    @Test
    void servesTheHealthServiceForTheServerAndEachModel() {
        start(new SimulatorOptions().models("m", "n"));
        var health = HealthGrpc.newBlockingStub(channel);

        for (String service : List.of("", "m", "n")) {
            assertThat(health.check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus())
                    .as(service).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        }
        assertThatThrownBy(() -> health.check(HealthCheckRequest.newBuilder().setService("other").build()))
                .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.NOT_FOUND));
    }

    @Test
    void aCancelledCallLeavesTheEngineAndIsCounted() {
        start(new SimulatorOptions().models("m").ttftMs(600_000));
        ListenableFuture<ModelInferResponse> answer = GRPCInferenceServiceGrpc.newFutureStub(channel)
                .modelInfer(infer(fp32("INPUT0", 1, 2)).build());
        await().until(() -> backend.running() == 1);

        answer.cancel(true);

        await().until(() -> backend.cancelledCalls() == 1);
        assertThat(backend.running()).isZero();
        assertThat(backend.inferenceRequests()).isEqualTo(1);
    }

    @Test
    void aCallPastItsDeadlineLeavesTheEngineAndIsCounted() {
        var stub = start(new SimulatorOptions().models("m").ttftMs(600_000));

        ModelInferRequest request = infer(fp32("INPUT0", 1)).build();

        assertThatThrownBy(() -> stub.withDeadlineAfter(2, TimeUnit.SECONDS).modelInfer(request))
                .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
        await().until(() -> backend.cancelledCalls() == 1);
        assertThat(backend.running()).isZero();
    }

    @Test
    void injectsErrorsAndRateLimitsAsStatuses() {
        var stub = start(new SimulatorOptions().models("m").ttftMs(1));
        ModelInferRequest request = infer(fp32("INPUT0", 1)).build();

        backend.faults().errorRate(1).errorStatus(503);
        assertThatThrownBy(() -> stub.modelInfer(request))
                .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.UNAVAILABLE))
                .hasMessageContaining("injected failure");
        backend.faults().errorStatus(500);
        assertThatThrownBy(() -> stub.modelInfer(request))
                .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.INTERNAL));
        backend.faults().errorRate(0).rateLimitRate(1).retryAfterSeconds(7);
        assertThatThrownBy(() -> stub.modelInfer(request))
                .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.RESOURCE_EXHAUSTED))
                .satisfies(e -> assertThat(Status.trailersFromThrowable(e).get(GrpcStatuses.RETRY_AFTER))
                        .isEqualTo("7"));
        backend.faults().rateLimitRate(0);
        assertThat(stub.modelInfer(request).getOutputsCount()).isEqualTo(1);
        assertThat(backend.inferenceRequests()).isEqualTo(4);
    }

    @Test
    void aCrashCutsCallsInFlightAndRefusesNewOnes() {
        var stub = start(new SimulatorOptions().models("m").ttftMs(600_000));
        ListenableFuture<ModelInferResponse> inFlight = GRPCInferenceServiceGrpc.newFutureStub(channel)
                .modelInfer(infer(fp32("INPUT0", 1)).build());
        await().until(() -> backend.running() == 1);

        backend.crash();

        assertThatThrownBy(inFlight::get).isInstanceOf(ExecutionException.class)
                .satisfies(e -> assertThat(code(e.getCause())).isEqualTo(Status.Code.UNAVAILABLE));
        await().until(() -> backend.running() == 0);
        assertThatThrownBy(() -> stub.serverLive(ServerLiveRequest.getDefaultInstance()))
                .satisfies(e -> assertThat(code(e)).isEqualTo(Status.Code.UNAVAILABLE));
    }
}
