package ilb.protocols.grpc;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import ilb.inference.BackendFailure;
import ilb.inference.HttpReply;
import ilb.inference.InferenceMessage;
import ilb.inference.InferenceRequest;
import ilb.protocols.grpc.KServeGrpcCodec.RestCall;
import ilb.protocols.grpc.KServeGrpcCodec.Unconvertible;
import ilb.protocols.grpc.v2.InferParameter;
import ilb.protocols.grpc.v2.InferTensorContents;
import ilb.protocols.grpc.v2.ModelInferRequest;
import ilb.protocols.grpc.v2.ModelInferResponse;
import ilb.protocols.grpc.v2.ModelMetadataRequest;
import ilb.protocols.grpc.v2.ModelMetadataResponse;
import ilb.protocols.grpc.v2.ModelReadyRequest;
import ilb.protocols.grpc.v2.ModelReadyResponse;
import ilb.protocols.grpc.v2.ServerLiveResponse;
import ilb.protocols.grpc.v2.ServerMetadataResponse;
import ilb.protocols.grpc.v2.ServerReadyResponse;
import org.junit.jupiter.api.Test;

import static ilb.protocols.grpc.KServeCalls.JSON;
import static ilb.protocols.grpc.KServeCalls.grpc;
import static ilb.protocols.grpc.KServeCalls.rest;
import static ilb.protocols.grpc.KServeCalls.restEcho;
import static ilb.protocols.grpc.KServeCalls.restInfer;
import static ilb.protocols.grpc.KServeGrpcCodecTensorsTest.grpcResponse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The codec's calls other than tensors: model names, health, metadata, parameters, headers and what it refuses. */
class KServeGrpcCodecTest {

    private static final byte[] NONE = new byte[0];

    @Test
    void withModelNamesTheModelAndVersionTheRouteChoseAndLeavesTheRest() throws Exception {
        ModelInferRequest original = ModelInferRequest.newBuilder().setModelName("image-classifier")
                .setModelVersion("9").setId("r1")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("x").setDatatype("UINT8")
                        .addShape(3))
                .addRawInputContents(ByteString.copyFrom(new byte[] {1, 2, 3})).build();

        byte[] versioned = KServeGrpcCodec.withModel(grpc("POST", "/v2/models/resnet/versions/2/infer", "resnet", "2",
                original.toByteArray()));
        byte[] unversioned = KServeGrpcCodec.withModel(grpc("POST", "/v2/models/resnet/infer", "resnet", null,
                original.toByteArray()));

        ModelInferRequest parsed = ModelInferRequest.parseFrom(versioned);
        assertThat(parsed.getModelName()).isEqualTo("resnet");
        assertThat(parsed.getModelVersion()).isEqualTo("2");
        assertThat(parsed.getRawInputContents(0).toByteArray()).containsExactly(1, 2, 3);
        assertThat(parsed.toBuilder().setModelName("image-classifier").setModelVersion("9").build())
                .isEqualTo(original);
        assertThat(ModelInferRequest.parseFrom(unversioned).getModelVersion()).isEmpty();
        ModelReadyRequest ready = ModelReadyRequest.parseFrom(KServeGrpcCodec.withModel(grpc("GET",
                "/v2/models/resnet/ready", "resnet", "1", ModelReadyRequest.newBuilder().setName("alias").build()
                        .toByteArray())));
        assertThat(ready.getName()).isEqualTo("resnet");
        assertThat(ready.getVersion()).isEqualTo("1");
    }

    @Test
    void toRestPassesOnTracingHeadersButNeverCredentials() {
        InferenceRequest ready = grpc("GET", "/v2/models/m/ready", "m", null, NONE, Map.of("x-request-id", "abc",
                "traceparent", "00-1-2-01", "authorization", "Bearer sk-test", "x-api-key", "sk-test"));

        RestCall call = KServeGrpcCodec.toRest(ready);

        assertThat(call.method()).isEqualTo("GET");
        assertThat(call.path()).isEqualTo("/v2/models/m/ready");
        assertThat(call.body()).isEmpty();
        assertThat(call.headers()).containsOnly(Map.entry("x-request-id", "abc"),
                Map.entry("traceparent", "00-1-2-01"));
    }

    @Test
    void readyAnswersFromARestBackend() throws Exception {
        InferenceRequest ready = grpc("GET", "/v2/models/m/versions/1/ready", "m", "1", NONE);
        assertThat(KServeGrpcCodec.toRest(ready).path()).isEqualTo("/v2/models/m/versions/1/ready");

        assertThat(modelReady(KServeGrpcCodec.replyFromRest(ready, new HttpReply(200, Map.of(), NONE)))).isTrue();
        assertThat(modelReady(KServeGrpcCodec.replyFromRest(ready, HttpReply.json(503, "{\"error\":\"loading\"}"))))
                .isFalse();
        assertThat(modelReady(KServeGrpcCodec.replyFromRest(ready, HttpReply.json(400, "{\"error\":\"no\"}"))))
                .isFalse();
        HttpReply notFound = HttpReply.json(404, "{\"error\":\"model m not found\"}");
        assertThat(KServeGrpcCodec.replyFromRest(ready, notFound)).isSameAs(notFound);
        HttpReply broken = HttpReply.json(500, "{\"error\":\"oops\"}");
        assertThat(KServeGrpcCodec.replyFromRest(ready, broken)).isSameAs(broken);
    }

    @Test
    void serverHealthAnswersFromARestBackend() throws Exception {
        InferenceRequest live = grpc("GET", "/v2/health/live", null, null, NONE);
        InferenceRequest ready = grpc("GET", "/v2/health/ready", null, null, NONE);

        assertThat(ServerLiveResponse.parseFrom(body(KServeGrpcCodec.replyFromRest(live,
                new HttpReply(200, Map.of(), NONE)))).getLive()).isTrue();
        assertThat(ServerReadyResponse.parseFrom(body(KServeGrpcCodec.replyFromRest(ready,
                new HttpReply(200, Map.of(), NONE)))).getReady()).isTrue();
        assertThat(ServerReadyResponse.parseFrom(body(KServeGrpcCodec.replyFromRest(ready,
                HttpReply.json(503, "{}")))).getReady()).isFalse();
    }

    @Test
    void metadataAnswersFromARestBackend() throws Exception {
        InferenceRequest metadata = grpc("GET", "/v2/models/m", "m", null, NONE);
        // as the simulator answers
        HttpReply model = HttpReply.json(200, "{\"name\":\"m\",\"platform\":\"ilb-simulator\","
                + "\"versions\":[\"1\",\"2\"],"
                + "\"inputs\":[{\"name\":\"INPUT0\",\"datatype\":\"FP32\",\"shape\":[-1,-1]}],"
                + "\"outputs\":[{\"name\":\"OUTPUT0\",\"datatype\":\"FP32\",\"shape\":[-1,3]}]}");

        ModelMetadataResponse response = ModelMetadataResponse.parseFrom(body(KServeGrpcCodec.replyFromRest(metadata,
                model)));

        assertThat(response.getName()).isEqualTo("m");
        assertThat(response.getPlatform()).isEqualTo("ilb-simulator");
        assertThat(response.getVersionsList()).containsExactly("1", "2");
        assertThat(response.getInputs(0).getName()).isEqualTo("INPUT0");
        assertThat(response.getInputs(0).getShapeList()).containsExactly(-1L, -1L);
        assertThat(response.getOutputs(0).getShapeList()).containsExactly(-1L, 3L);

        InferenceRequest server = grpc("GET", "/v2", null, null, NONE);
        ServerMetadataResponse serverResponse = ServerMetadataResponse.parseFrom(body(KServeGrpcCodec.replyFromRest(
                server, HttpReply.json(200, "{\"name\":\"triton\",\"version\":\"2.50\","
                        + "\"extensions\":[\"binary_tensor_data\"]}"))));
        assertThat(serverResponse.getName()).isEqualTo("triton");
        assertThat(serverResponse.getVersion()).isEqualTo("2.50");
        assertThat(serverResponse.getExtensionsList()).containsExactly("binary_tensor_data");
    }

    @Test
    void restCallsBecomeTheirGrpcRequests() throws Exception {
        ModelReadyRequest ready = ModelReadyRequest.parseFrom(KServeGrpcCodec.toGrpc(rest("GET",
                "/v2/models/m/versions/3/ready", "m", "3", NONE, Map.of())));
        assertThat(ready.getName()).isEqualTo("m");
        assertThat(ready.getVersion()).isEqualTo("3");
        ModelMetadataRequest metadata = ModelMetadataRequest.parseFrom(KServeGrpcCodec.toGrpc(rest("GET",
                "/v2/models/m", "m", null, NONE, Map.of())));
        assertThat(metadata.getName()).isEqualTo("m");
        assertThat(metadata.getVersion()).isEmpty();
        assertThat(KServeGrpcCodec.toGrpc(rest("GET", "/v2/health/live", null, null, NONE, Map.of()))).isEmpty();
    }

    @Test
    void grpcHealthAnswersBecomeRestOnes() {
        InferenceRequest ready = rest("GET", "/v2/models/m/versions/3/ready", "m", "3", NONE, Map.of());
        HttpReply yes = KServeGrpcCodec.replyFromGrpc(ready, ModelReadyResponse.newBuilder().setReady(true).build()
                .toByteArray());
        HttpReply no = KServeGrpcCodec.replyFromGrpc(ready, ModelReadyResponse.getDefaultInstance().toByteArray());
        HttpReply serverNotLive = KServeGrpcCodec.replyFromGrpc(rest("GET", "/v2/health/live", null, null, NONE,
                Map.of()), ServerLiveResponse.getDefaultInstance().toByteArray());
        HttpReply serverReady = KServeGrpcCodec.replyFromGrpc(rest("GET", "/v2/health/ready", null, null, NONE,
                Map.of()), ServerReadyResponse.newBuilder().setReady(true).build().toByteArray());

        assertThat(yes.status()).isEqualTo(200);
        assertThat(yes.body()).isEmpty();
        assertThat(no.status()).isEqualTo(503);
        assertThat(new String(no.body(), StandardCharsets.UTF_8))
                .isEqualTo("{\"error\":\"model m version 3 is not ready\"}");
        assertThat(serverNotLive.status()).isEqualTo(503);
        assertThat(new String(serverNotLive.body(), StandardCharsets.UTF_8))
                .isEqualTo("{\"error\":\"the server is not live\"}");
        assertThat(serverReady.status()).isEqualTo(200);
    }

    @Test
    void grpcMetadataBecomesRestJson() throws Exception {
        byte[] model = ModelMetadataResponse.newBuilder().setName("m").addVersions("1").setPlatform("triton")
                .addInputs(ModelMetadataResponse.TensorMetadata.newBuilder().setName("x").setDatatype("FP32")
                        .addShape(-1).addShape(3))
                .addOutputs(ModelMetadataResponse.TensorMetadata.newBuilder().setName("y").setDatatype("INT64")
                        .addShape(1))
                .build().toByteArray();

        HttpReply reply = KServeGrpcCodec.replyFromGrpc(rest("GET", "/v2/models/m", "m", null, NONE, Map.of()), model);

        assertThat(reply.status()).isEqualTo(200);
        assertThat(JSON.readTree(reply.body())).isEqualTo(JSON.readTree("{\"name\":\"m\",\"versions\":[\"1\"],"
                + "\"platform\":\"triton\",\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[-1,3]}],"
                + "\"outputs\":[{\"name\":\"y\",\"datatype\":\"INT64\",\"shape\":[1]}]}"));
        HttpReply server = KServeGrpcCodec.replyFromGrpc(rest("GET", "/v2", null, null, NONE, Map.of()),
                ServerMetadataResponse.newBuilder().setName("s").setVersion("1").addExtensions("e").build()
                        .toByteArray());
        assertThat(JSON.readTree(server.body()))
                .isEqualTo(JSON.readTree("{\"name\":\"s\",\"version\":\"1\",\"extensions\":[\"e\"]}"));
    }

    @Test
    void parametersGoBothWaysAtEveryLevel() throws Exception {
        InferParameter yes = InferParameter.newBuilder().setBoolParam(true).build();
        InferParameter seven = InferParameter.newBuilder().setInt64Param(7).build();
        InferParameter text = InferParameter.newBuilder().setStringParam("t").build();
        ModelInferRequest request = ModelInferRequest.newBuilder().putParameters("sequence_start", yes)
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("x").setDatatype("INT32").addShape(1)
                        .putParameters("tag", text).setContents(InferTensorContents.newBuilder().addIntContents(1)))
                .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("y")
                        .putParameters("classification", seven))
                .build();
        InferenceRequest grpcRequest = grpc("POST", "/v2/models/m/infer", "m", null, request.toByteArray());

        JsonNode body = JSON.readTree(KServeGrpcCodec.toRest(grpcRequest).body());

        assertThat(body.get("parameters")).isEqualTo(JSON.readTree("{\"sequence_start\":true}"));
        assertThat(body.get("inputs").get(0).get("parameters")).isEqualTo(JSON.readTree("{\"tag\":\"t\"}"));
        assertThat(body.get("outputs"))
                .isEqualTo(JSON.readTree("[{\"name\":\"y\",\"parameters\":{\"classification\":7}}]"));

        HttpReply restReply = HttpReply.json(200, "{\"model_name\":\"m\",\"parameters\":{\"sequence_end\":true,"
                + "\"score\":0.5},\"outputs\":[{\"name\":\"y\",\"datatype\":\"INT32\",\"shape\":[1],"
                + "\"parameters\":{\"n\":7},\"data\":[1]}]}");
        ModelInferResponse response = grpcResponse(KServeGrpcCodec.replyFromRest(grpcRequest, restReply));

        assertThat(response.getParametersMap()).containsOnly(Map.entry("sequence_end", yes),
                Map.entry("score", InferParameter.newBuilder().setStringParam("0.5").build()));
        assertThat(response.getOutputs(0).getParametersMap()).containsOnly(Map.entry("n", seven));

        InferenceRequest restRequest = restInfer("{\"parameters\":{\"priority\":2,\"binary_data_output\":false},"
                + "\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"BOOL\",\"parameters\":{\"flag\":true},"
                + "\"data\":[true]}],\"outputs\":[{\"name\":\"y\",\"parameters\":{\"binary_data\":false,"
                + "\"k\":\"t\"}}]}");
        ModelInferRequest grpcMessage = ModelInferRequest.parseFrom(KServeGrpcCodec.toGrpc(restRequest));

        assertThat(grpcMessage.getParametersMap()).containsOnly(Map.entry("priority",
                InferParameter.newBuilder().setInt64Param(2).build()));
        assertThat(grpcMessage.getInputs(0).getParametersMap()).containsOnly(Map.entry("flag", yes));
        assertThat(grpcMessage.getOutputs(0).getName()).isEqualTo("y");
        assertThat(grpcMessage.getOutputs(0).getParametersMap()).containsOnly(Map.entry("k", text));

        byte[] grpcResponse = ModelInferResponse.newBuilder().setModelName("m").putParameters("sequence_end", yes)
                .addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName("y").setDatatype("BOOL")
                        .addShape(1).putParameters("n", seven)
                        .setContents(InferTensorContents.newBuilder().addBoolContents(false)))
                .build().toByteArray();
        JsonNode reply = JSON.readTree(KServeGrpcCodec.replyFromGrpc(restRequest, grpcResponse).body());

        assertThat(reply.get("parameters")).isEqualTo(JSON.readTree("{\"sequence_end\":true}"));
        assertThat(reply.get("outputs").get(0)).isEqualTo(JSON.readTree("{\"name\":\"y\",\"datatype\":\"BOOL\","
                + "\"shape\":[1],\"parameters\":{\"n\":7},\"data\":[false]}"));
    }

    @Test
    void aGrpcClientsOwnBinaryDataSizeDoesNotFrameTheRestBody() throws Exception {
        ModelInferRequest request = ModelInferRequest.newBuilder()
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("x").setDatatype("INT8").addShape(1)
                        .putParameters("binary_data_size", InferParameter.newBuilder().setInt64Param(100).build())
                        .setContents(InferTensorContents.newBuilder().addIntContents(3)))
                .build();

        RestCall call = KServeGrpcCodec.toRest(grpc("POST", "/v2/models/m/infer", "m", null, request.toByteArray()));

        assertThat(call.headers()).doesNotContainKey(KServeCalls.HEADER_LENGTH);
        assertThat(JSON.readTree(call.body()).get("inputs").get(0)).isEqualTo(JSON.readTree("{\"name\":\"x\","
                + "\"datatype\":\"INT8\",\"shape\":[1],\"data\":[3]}"));
    }

    @Test
    void restRequestsGrpcCannotCarryAreUnconvertibleAndSayWhy() {
        assertUnconvertible("{\"inputs\":[{\"name\":\"x\",\"shape\":[2],\"datatype\":\"FP32\","
                + "\"data\":[1.0,\"abc\"]}]}",
                "input 'x': \"abc\" is not a value of its datatype FP32");
        assertUnconvertible("{\"inputs\":[{\"name\":\"x\",\"shape\":[2,2],\"datatype\":\"INT32\","
                + "\"data\":[[1,2],[3]]}]}",
                "the data of input 'x' does not match its shape [2, 2]: dimension 1 has 1, not 2");
        assertUnconvertible("{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP8\",\"data\":[1]}]}",
                "input 'x' has an unknown datatype 'FP8'");
        assertUnconvertible("{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP8\",\"parameters\":"
                + "{\"binary_data_size\":1}}]}", "input 'x' has an unknown datatype 'FP8'");
        assertUnconvertible("{\"parameters\":{\"temperature\":0.7},\"inputs\":[{\"name\":\"x\",\"shape\":[1],"
                + "\"datatype\":\"INT8\",\"data\":[1]}]}", "parameter 'temperature' of the request is 0.7: over gRPC a"
                + " parameter is a boolean, a 64-bit integer or a string");
        assertUnconvertible("{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"INT8\"}]}",
                "input 'x' has neither 'data' nor a binary_data_size");
        assertUnconvertible("{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"INT8\",\"parameters\":"
                + "{\"binary_data_size\":1}}]}", "input 'x' has a binary_data_size, but the body has no"
                + " inference-header-content-length header: nothing follows its JSON");
        assertUnconvertible("{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"INT8\",\"data\":[1]}],"
                + "\"parameters\":{\"binary_data_output\":\"yes\"}}", "binary_data_output must be true or false");
        assertThatThrownBy(() -> KServeGrpcCodec.toGrpc(restInfer("{\"inputs\":["))).isInstanceOf(Unconvertible.class)
                .hasMessageStartingWith("the infer request is not valid JSON: Unexpected end-of-input");

        InferenceRequest tooFew = restInfer("{\"inputs\":[{\"name\":\"x\",\"shape\":[4],\"datatype\":\"INT8\","
                + "\"parameters\":{\"binary_data_size\":4}}]}", new byte[3]);
        assertThatThrownBy(() -> KServeGrpcCodec.toGrpc(tooFew)).isInstanceOf(Unconvertible.class)
                .hasMessage("the binary_data_size of the tensors up to input 'x' add up to more than the 3 bytes after"
                        + " the JSON");
        InferenceRequest tooMany = restInfer("{\"inputs\":[{\"name\":\"x\",\"shape\":[2],\"datatype\":\"INT8\","
                + "\"parameters\":{\"binary_data_size\":2}}]}", new byte[3]);
        assertThatThrownBy(() -> KServeGrpcCodec.toGrpc(tooMany))
                .hasMessage("the tensors' binary_data_size add up to 2 bytes, but 3 follow the JSON");
    }

    @Test
    void grpcRequestsRestCannotCarryAreUnconvertible() {
        assertThatThrownBy(() -> KServeGrpcCodec.toRest(grpc("POST", "/v2/models/m/infer", "m", null,
                new byte[] {0x2a, 5, 1}))).isInstanceOf(Unconvertible.class)
                .hasMessageStartingWith("the request is not a ModelInferRequest: ");
        byte[] misplaced = ModelInferRequest.newBuilder().addInputs(ModelInferRequest.InferInputTensor.newBuilder()
                .setName("x").setDatatype("FP32").addShape(1)
                .setContents(InferTensorContents.newBuilder().addIntContents(1))).build().toByteArray();
        assertThatThrownBy(() -> KServeGrpcCodec.toRest(grpc("POST", "/v2/models/m/infer", "m", null, misplaced)))
                .hasMessage("input 'x' is FP32, but has contents in another datatype's field");
    }

    @Test
    void aRestReplyThatIsNotKServeIsABackendFailure() {
        InferenceRequest grpcRequest = grpc("POST", "/v2/models/m/infer", "m", null, ModelInferRequest.newBuilder()
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("x").setDatatype("INT8").addShape(1)
                        .setContents(InferTensorContents.newBuilder().addIntContents(1))).build().toByteArray());

        InferenceMessage notJson = KServeGrpcCodec.replyFromRest(grpcRequest, new HttpReply(200, Map.of(),
                "<html>".getBytes(StandardCharsets.UTF_8)));
        InferenceMessage wrongType = KServeGrpcCodec.replyFromRest(grpcRequest, HttpReply.json(200,
                "{\"outputs\":[{\"name\":\"y\",\"datatype\":\"INT8\",\"shape\":[1],\"data\":[1000]}]}"));

        assertThat(notJson).isInstanceOfSatisfying(BackendFailure.class, failure -> {
            assertThat(failure.kind()).isEqualTo(BackendFailure.Kind.PROTOCOL);
            assertThat(failure.message()).startsWith("the backend's reply to /v2/models/m/infer is not KServe v2: the"
                    + " infer response is not valid JSON");
        });
        assertThat(wrongType).isInstanceOfSatisfying(BackendFailure.class, failure -> assertThat(failure.message())
                .isEqualTo("the backend's reply to /v2/models/m/infer is not KServe v2: output 'y': 1000 is out of"
                        + " range for INT8"));
    }

    @Test
    void aGrpcReplyThatCannotBeWrittenIsA502() throws Exception {
        InferenceRequest restRequest = restInfer("{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"INT8\","
                + "\"data\":[1]}]}");
        byte[] oddRaw = ModelInferResponse.newBuilder().addOutputs(ModelInferResponse.InferOutputTensor.newBuilder()
                .setName("y").setDatatype("FP32").addShape(1)).addRawOutputContents(ByteString.copyFrom(new byte[3]))
                .build().toByteArray();

        HttpReply reply = KServeGrpcCodec.replyFromGrpc(restRequest, oddRaw);
        HttpReply garbage = KServeGrpcCodec.replyFromGrpc(restRequest, new byte[] {(byte) 0xff});

        assertThat(reply.status()).isEqualTo(502);
        assertThat(JSON.readTree(reply.body()).get("error").textValue()).isEqualTo("the gRPC backend's reply to"
                + " /v2/models/m/infer cannot be written in REST: output 'y' has 3 raw bytes, not a whole number of"
                + " FP32 elements of 4 bytes");
        assertThat(garbage.status()).isEqualTo(502);
    }

    @Test
    void aGrpcInferRequestGoesToRestAtItsPathAndTheEchoKeepsItsId() throws Exception {
        ModelInferRequest request = ModelInferRequest.newBuilder().setModelName("alias").setId("abc")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("x").setDatatype("INT64").addShape(1)
                        .setContents(InferTensorContents.newBuilder().addInt64Contents(42))).build();
        InferenceRequest grpcRequest = grpc("POST", "/v2/models/m/versions/2/infer", "m", "2", request.toByteArray(),
                Map.of("tracestate", "a=b"));

        RestCall call = KServeGrpcCodec.toRest(grpcRequest);

        assertThat(call.method()).isEqualTo("POST");
        assertThat(call.path()).isEqualTo("/v2/models/m/versions/2/infer");
        assertThat(call.headers()).containsEntry("tracestate", "a=b").containsEntry("content-type", "application/json");
        assertThat(JSON.readTree(call.body())).isEqualTo(JSON.readTree("{\"id\":\"abc\",\"inputs\":[{\"name\":\"x\","
                + "\"datatype\":\"INT64\",\"shape\":[1],\"data\":[42]}]}"));
        ModelInferResponse response = grpcResponse(KServeGrpcCodec.replyFromRest(grpcRequest, restEcho(call)));
        assertThat(response.getModelName()).isEqualTo("m");
        assertThat(response.getId()).isEqualTo("abc");
    }

    private static void assertUnconvertible(String json, String message) {
        assertThatThrownBy(() -> KServeGrpcCodec.toGrpc(restInfer(json))).isInstanceOf(Unconvertible.class)
                .hasMessage(message);
    }

    private static boolean modelReady(InferenceMessage reply) throws Exception {
        return ModelReadyResponse.parseFrom(body(reply)).getReady();
    }

    private static byte[] body(InferenceMessage reply) {
        assertThat(reply).isInstanceOf(HttpReply.class);
        HttpReply grpcReply = (HttpReply) reply;
        assertThat(grpcReply.status()).isEqualTo(200);
        assertThat(grpcReply.headers()).containsEntry("content-type", "application/grpc");
        return grpcReply.body();
    }
}
