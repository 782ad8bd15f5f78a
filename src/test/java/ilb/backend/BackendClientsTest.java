package ilb.backend;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import ilb.RawBackend;
import ilb.inference.Api;
import ilb.inference.BackendFailure;
import ilb.inference.HttpReply;
import ilb.inference.InferenceMessage;
import ilb.inference.InferenceRequest;
import ilb.inference.Priority;
import ilb.inference.PromptPrefix;
import ilb.inference.Protocol;
import ilb.protocols.grpc.GrpcStatuses;
import ilb.protocols.grpc.v2.InferTensorContents;
import ilb.protocols.grpc.v2.ModelInferRequest;
import ilb.protocols.grpc.v2.ModelInferResponse;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import io.netty.channel.nio.NioEventLoopGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A request reaches each backend in the backend's protocol: as it is, converted, or not at all. */
class BackendClientsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final NioEventLoopGroup loops = new NioEventLoopGroup(1);
    private final BackendClients clients = new BackendClients(loops, 64 << 20);
    private AutoCloseable server;

    @AfterEach
    void stop() throws Exception {
        clients.close();
        if (server != null) {
            server.close();
        }
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    private BackendSettings held(String url, Protocol protocol) {
        BackendSettings settings = new BackendSettings("b", URI.create(url), protocol, 0, 1, 4, "", "", "", "",
                60_000, 60_000, 1000, 1000, 0, null, null);
        clients.hold(settings);
        return settings;
    }

    private static InferenceRequest request(Api api, Protocol protocol, String method, String path, String model,
            String version, byte[] body) {
        return new InferenceRequest(api, protocol, method, path, Map.of(), body, model, version, false,
                PromptPrefix.NONE, 0, null, null, null, Priority.STANDARD);
    }

    private static InferenceRequest grpcInfer(byte[] message) {
        return request(Api.KSERVE, Protocol.GRPC, "POST", "/v2/models/m/versions/2/infer", "m", "2", message);
    }

    private static InferenceRequest restInfer(String json) {
        return request(Api.KSERVE, Protocol.HTTP, "POST", "/v2/models/m/infer", "m", null,
                json.getBytes(StandardCharsets.UTF_8));
    }

    private InferenceMessage send(BackendSettings settings, InferenceRequest request) throws Exception {
        CompletableFuture<InferenceMessage> done = new CompletableFuture<>();
        clients.send(settings, request, TimeLimits.of(settings, null, System.nanoTime()), done::complete);
        return done.get(30, TimeUnit.SECONDS);
    }

    @Test
    void eachPairOfProtocolsHasItsPassage() {
        byte[] body = new byte[0];
        InferenceRequest openAi = request(Api.OPENAI, Protocol.HTTP, "POST", "/v1/completions", "m", null, body);
        InferenceRequest rest = restInfer("{}");
        InferenceRequest grpc = grpcInfer(body);

        assertThat(BackendClients.Passage.of(Protocol.HTTP, openAi)).isEqualTo(BackendClients.Passage.HTTP);
        assertThat(BackendClients.Passage.of(Protocol.HTTP, rest)).isEqualTo(BackendClients.Passage.HTTP);
        assertThat(BackendClients.Passage.of(Protocol.HTTP, grpc)).isEqualTo(BackendClients.Passage.GRPC_AS_REST);
        assertThat(BackendClients.Passage.of(Protocol.GRPC, grpc)).isEqualTo(BackendClients.Passage.GRPC);
        assertThat(BackendClients.Passage.of(Protocol.GRPC, rest)).isEqualTo(BackendClients.Passage.REST_AS_GRPC);
        assertThat(BackendClients.Passage.of(Protocol.GRPC, openAi)).isEqualTo(BackendClients.Passage.NONE);
    }

    @Test
    void aGrpcRequestPassesAsItIsButForTheRoutesModelAndVersion() throws Exception {
        byte[] tensor = new byte[32 << 20];
        tensor[0] = 1;
        tensor[tensor.length - 1] = 2;
        ModelInferResponse answer = ModelInferResponse.newBuilder().setModelName("m").setModelVersion("2")
                .addRawOutputContents(ByteString.copyFrom(tensor)).build();
        KServeGrpcServer grpc = KServeGrpcServer.start((request, response) -> {
            response.onNext(answer);
            response.onCompleted();
        });
        server = grpc;
        // the client named an alias and no version: the route chose model m, version 2
        ModelInferRequest sent = ModelInferRequest.newBuilder().setModelName("alias").setId("r1")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("x").setDatatype("UINT8")
                        .addShape(tensor.length))
                .addRawInputContents(ByteString.copyFrom(tensor)).build();

        InferenceMessage reply = send(held(grpc.url(), Protocol.GRPC), grpcInfer(sent.toByteArray()));

        assertThat(grpc.inferRequests).containsExactly(sent.toBuilder().setModelName("m").setModelVersion("2")
                .build());
        assertThat(reply).isInstanceOfSatisfying(HttpReply.class, ok -> {
            assertThat(ok.status()).isEqualTo(200);
            assertThat(ok.headers()).containsEntry("content-type", "application/grpc");
            assertThat(ok.body()).isEqualTo(answer.toByteArray());
        });
    }

    @Test
    void aRestRequestGoesToAGrpcBackendAsItsCallAndItsAnswerComesBackInRest() throws Exception {
        KServeGrpcServer grpc = KServeGrpcServer.start((request, response) -> {
            response.onNext(ModelInferResponse.newBuilder().setModelName("m").setModelVersion("1")
                    .addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName("y").setDatatype("FP32")
                            .addShape(2).setContents(InferTensorContents.newBuilder().addFp32Contents(0.5f)
                                    .addFp32Contents(1.5f)))
                    .build());
            response.onCompleted();
        });
        server = grpc;

        InferenceMessage reply = send(held(grpc.url(), Protocol.GRPC),
                restInfer("{\"inputs\":[{\"name\":\"x\",\"shape\":[2],\"datatype\":\"FP32\",\"data\":[1.0,2.0]}]}"));

        ModelInferRequest received = grpc.inferRequests.poll();
        assertThat(received.getModelName()).isEqualTo("m");
        assertThat(received.getInputs(0).getContents().getFp32ContentsList()).containsExactly(1.0f, 2.0f);
        assertThat(reply).isInstanceOfSatisfying(HttpReply.class, ok -> {
            assertThat(ok.status()).isEqualTo(200);
            JsonNode output = readJson(ok.body()).get("outputs").get(0);
            assertThat(output.get("name").textValue()).isEqualTo("y");
            assertThat(output.get("data").toString()).isEqualTo("[0.5,1.5]");
        });
    }

    @Test
    void aRestRequestGrpcCannotCarryIsAnsweredFourHundredAndNeverSent() throws Exception {
        KServeGrpcServer grpc = KServeGrpcServer.start(KServeGrpcServer::answerEmpty);
        server = grpc;

        InferenceMessage reply = send(held(grpc.url(), Protocol.GRPC),
                restInfer("{\"inputs\":[{\"name\":\"x\",\"shape\":[2],\"datatype\":\"FP32\",\"data\":[1.0,\"a\"]}]}"));

        assertThat(reply).isInstanceOfSatisfying(HttpReply.class, bad -> {
            assertThat(bad.status()).isEqualTo(400);
            assertThat(readJson(bad.body()).get("error").textValue()).contains("is not a value of its datatype FP32");
            assertThat(bad.headers()).containsEntry(GrpcStatuses.STATUS_HEADER, "3");
        });
        assertThat(grpc.calls).isEmpty();
    }

    @Test
    void anOpenAiRequestToAGrpcBackendIsTheRequestsFaultAndNeverSent() throws Exception {
        KServeGrpcServer grpc = KServeGrpcServer.start(KServeGrpcServer::answerEmpty);
        server = grpc;

        InferenceMessage reply = send(held(grpc.url(), Protocol.GRPC), request(Api.OPENAI, Protocol.HTTP, "POST",
                "/v1/completions", "m", null, "{\"model\":\"m\",\"prompt\":\"hi\"}".getBytes(StandardCharsets.UTF_8)));

        assertThat(reply).isInstanceOfSatisfying(BackendFailure.class, failure -> {
            assertThat(failure.kind()).isEqualTo(BackendFailure.Kind.REQUEST);
            assertThat(failure.message()).contains("speaks KServe v2 over gRPC only");
        });
        assertThat(grpc.calls).isEmpty();
    }

    @Test
    void aGrpcRequestGoesToAnHttpBackendAsRestAndItsAnswerComesBackInGrpc() throws Exception {
        SimulatedBackend simulator = SimulatedBackend.start(new SimulatorOptions().models("m").versions("2")
                .ttftMs(1).itlMs(1));
        server = simulator;
        ModelInferRequest sent = ModelInferRequest.newBuilder().setModelName("m").setId("r2")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("INPUT0").setDatatype("FP32")
                        .addShape(2).setContents(InferTensorContents.newBuilder().addFp32Contents(1.0f)
                                .addFp32Contents(2.0f)))
                .build();

        InferenceMessage reply = send(held(simulator.url(), Protocol.HTTP), grpcInfer(sent.toByteArray()));

        assertThat(simulator.inferenceRequests()).isEqualTo(1);
        assertThat(reply).isInstanceOfSatisfying(HttpReply.class, ok -> {
            assertThat(ok.status()).isEqualTo(200);
            assertThat(ok.headers()).containsEntry("content-type", "application/grpc");
            ModelInferResponse response = parse(ok.body());
            assertThat(response.getId()).isEqualTo("r2");
            assertThat(response.getOutputs(0).getName()).isEqualTo("OUTPUT0");
            assertThat(response.getOutputs(0).getContents().getFp32ContentsList()).containsExactly(1.0f, 2.0f);
        });
    }

    @Test
    void aStreamAnsweringAGrpcRequestIsTheBackendsProtocolFailure() throws Exception {
        RawBackend raw = RawBackend.start(out -> out.write(("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                + "transfer-encoding: chunked\r\n\r\n6\r\ndata: \n\r\n").getBytes(StandardCharsets.US_ASCII)));
        server = raw;

        InferenceMessage reply = send(held(raw.url(), Protocol.HTTP), grpcInfer(ModelInferRequest.newBuilder()
                .setModelName("m").build().toByteArray()));

        assertThat(reply).isInstanceOfSatisfying(BackendFailure.class,
                failure -> assertThat(failure.kind()).isEqualTo(BackendFailure.Kind.PROTOCOL));
        assertThat(raw.requestLines()).containsExactly("POST /v2/models/m/versions/2/infer HTTP/1.1");
    }

    private static JsonNode readJson(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static ModelInferResponse parse(byte[] message) {
        try {
            return ModelInferResponse.parseFrom(message);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }
}
