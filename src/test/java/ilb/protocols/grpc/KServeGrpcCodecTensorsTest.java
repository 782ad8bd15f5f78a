package ilb.protocols.grpc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import ilb.inference.HttpReply;
import ilb.inference.InferenceMessage;
import ilb.inference.InferenceRequest;
import ilb.protocols.grpc.KServeGrpcCodec.RestCall;
import ilb.protocols.grpc.v2.InferTensorContents;
import ilb.protocols.grpc.v2.ModelInferRequest;
import ilb.protocols.grpc.v2.ModelInferResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import static ilb.protocols.grpc.KServeCalls.HEADER_LENGTH;
import static ilb.protocols.grpc.KServeCalls.JSON;
import static ilb.protocols.grpc.KServeCalls.binaryPart;
import static ilb.protocols.grpc.KServeCalls.grpc;
import static ilb.protocols.grpc.KServeCalls.grpcEcho;
import static ilb.protocols.grpc.KServeCalls.jsonHeader;
import static ilb.protocols.grpc.KServeCalls.restEcho;
import static ilb.protocols.grpc.KServeCalls.restInfer;
import static org.assertj.core.api.Assertions.assertThat;

/** Tensors of every datatype through the codec, typed and raw, each way, as a client and a backend see them. */
class KServeGrpcCodecTensorsTest {

    private static final String INFER = "/v2/models/m/infer";

    /** One tensor's values in the three forms: REST JSON data, gRPC typed contents (null for FP16, BF16), raw. */
    record Sample(Datatype datatype, String json, InferTensorContents typed, byte[] raw) {
        @Override
        public String toString() {
            return datatype.name();
        }

        int count() {
            return json.equals("[]") ? 0 : json.split(",").length;
        }
    }

    static Stream<Sample> samples() {
        return Stream.of(
                new Sample(Datatype.BOOL, "[true,false,true]",
                        typed(c -> c.addBoolContents(true).addBoolContents(false).addBoolContents(true)),
                        raw(3, b -> b.put((byte) 1).put((byte) 0).put((byte) 1))),
                new Sample(Datatype.UINT8, "[0,255]", typed(c -> c.addUintContents(0).addUintContents(255)),
                        raw(2, b -> b.put((byte) 0).put((byte) 255))),
                new Sample(Datatype.UINT16, "[1,65535]", typed(c -> c.addUintContents(1).addUintContents(65535)),
                        raw(4, b -> b.putShort((short) 1).putShort((short) 65535))),
                new Sample(Datatype.UINT32, "[1,4294967295]", typed(c -> c.addUintContents(1).addUintContents(-1)),
                        raw(8, b -> b.putInt(1).putInt(-1))),
                new Sample(Datatype.UINT64, "[1,18446744073709551615]",
                        typed(c -> c.addUint64Contents(1).addUint64Contents(-1)),
                        raw(16, b -> b.putLong(1).putLong(-1))),
                new Sample(Datatype.INT8, "[-128,127]", typed(c -> c.addIntContents(-128).addIntContents(127)),
                        raw(2, b -> b.put((byte) -128).put((byte) 127))),
                new Sample(Datatype.INT16, "[-32768,32767]", typed(c -> c.addIntContents(-32768).addIntContents(32767)),
                        raw(4, b -> b.putShort((short) -32768).putShort((short) 32767))),
                new Sample(Datatype.INT32, "[-2147483648,2147483647]",
                        typed(c -> c.addIntContents(Integer.MIN_VALUE).addIntContents(Integer.MAX_VALUE)),
                        raw(8, b -> b.putInt(Integer.MIN_VALUE).putInt(Integer.MAX_VALUE))),
                new Sample(Datatype.INT64, "[-9223372036854775808,9223372036854775807]",
                        typed(c -> c.addInt64Contents(Long.MIN_VALUE).addInt64Contents(Long.MAX_VALUE)),
                        raw(16, b -> b.putLong(Long.MIN_VALUE).putLong(Long.MAX_VALUE))),
                // 6.1035156E-5: 2^-14, the smallest normal FP16; 5.9604645E-8: 2^-24, the smallest subnormal
                new Sample(Datatype.FP16, "[1.0,-2.0,6.1035156E-5,5.9604645E-8]", null,
                        raw(8, b -> b.putShort((short) 0x3c00).putShort((short) 0xc000).putShort((short) 0x0400)
                                .putShort((short) 0x0001))),
                new Sample(Datatype.BF16, "[1.0,3.140625]", null,
                        raw(4, b -> b.putShort((short) 0x3f80).putShort((short) 0x4049))),
                new Sample(Datatype.FP32, "[1.5,-0.25,3.4028235E38]",
                        typed(c -> c.addFp32Contents(1.5f).addFp32Contents(-0.25f).addFp32Contents(Float.MAX_VALUE)),
                        raw(12, b -> b.putFloat(1.5f).putFloat(-0.25f).putFloat(Float.MAX_VALUE))),
                new Sample(Datatype.FP64, "[0.1,-1.0E300]", typed(c -> c.addFp64Contents(0.1).addFp64Contents(-1e300)),
                        raw(16, b -> b.putDouble(0.1).putDouble(-1e300))),
                new Sample(Datatype.BYTES, "[\"héllo\",\"\"]",
                        typed(c -> c.addBytesContents(ByteString.copyFromUtf8("héllo"))
                                .addBytesContents(ByteString.EMPTY)),
                        raw(14, b -> b.putInt(6).put("héllo".getBytes(StandardCharsets.UTF_8)).putInt(0))));
    }

    static Stream<Sample> typedSamples() {
        return samples().filter(sample -> sample.typed() != null);
    }

    @ParameterizedTest
    @MethodSource("typedSamples")
    void aTypedGrpcTensorGoesToRestAsJsonAndComesBackTyped(Sample sample) throws Exception {
        ModelInferRequest request = ModelInferRequest.newBuilder().setModelName("m").setId("r1")
                .addInputs(input(sample).setContents(sample.typed())).build();
        InferenceRequest grpcRequest = grpc("POST", INFER, "m", null, request.toByteArray());

        RestCall call = KServeGrpcCodec.toRest(grpcRequest);

        assertThat(call.headers()).containsEntry("content-type", "application/json").doesNotContainKey(HEADER_LENGTH);
        JsonNode body = JSON.readTree(call.body());
        assertThat(body.get("id").textValue()).isEqualTo("r1");
        assertThat(body.get("inputs").get(0).get("data")).isEqualTo(JSON.readTree(sample.json()));
        assertThat(body.has("parameters")).as("asks for no binary output").isFalse();

        ModelInferResponse response = grpcResponse(KServeGrpcCodec.replyFromRest(grpcRequest, restEcho(call)));

        assertThat(response.getRawOutputContentsCount()).isZero();
        assertThat(response.getOutputs(0).getContents()).isEqualTo(sample.typed());
        assertThat(response.getOutputs(0).getDatatype()).isEqualTo(sample.datatype().name());
        assertThat(response.getOutputs(0).getShapeList()).containsExactly((long) sample.count());
        assertThat(response.getId()).isEqualTo("r1");
        assertThat(response.getModelVersion()).isEqualTo("1");
    }

    @ParameterizedTest
    @MethodSource("samples")
    void aRawGrpcTensorGoesToRestInBinaryAndComesBackRaw(Sample sample) throws Exception {
        ModelInferRequest request = ModelInferRequest.newBuilder().addInputs(input(sample))
                .addRawInputContents(ByteString.copyFrom(sample.raw())).build();
        InferenceRequest grpcRequest = grpc("POST", INFER, "m", null, request.toByteArray());

        RestCall call = KServeGrpcCodec.toRest(grpcRequest);

        assertThat(call.headers()).containsEntry("content-type", "application/octet-stream");
        JsonNode body = jsonHeader(call.body(), call.headers());
        assertThat(body.get("parameters").get("binary_data_output").booleanValue()).isTrue();
        assertThat(body.get("inputs").get(0).get("parameters").get("binary_data_size").intValue())
                .isEqualTo(sample.raw().length);
        assertThat(body.get("inputs").get(0).has("data")).isFalse();
        assertThat(binaryPart(call.body(), call.headers())).isEqualTo(sample.raw());

        ModelInferResponse response = grpcResponse(KServeGrpcCodec.replyFromRest(grpcRequest, restEcho(call)));

        assertThat(response.getRawOutputContentsList()).containsExactly(ByteString.copyFrom(sample.raw()));
        assertThat(response.getOutputs(0).hasContents()).isFalse();
    }

    @ParameterizedTest
    @MethodSource("samples")
    void aJsonRestTensorGoesToGrpcTypedOrRawAndComesBackAsJson(Sample sample) throws Exception {
        InferenceRequest restRequest = restInfer("{\"id\":\"r1\",\"inputs\":[{\"name\":\"x\",\"shape\":["
                + sample.count() + "],\"datatype\":\"" + sample.datatype() + "\",\"data\":" + sample.json() + "}]}");

        byte[] message = KServeGrpcCodec.toGrpc(restRequest);

        ModelInferRequest request = ModelInferRequest.parseFrom(message);
        assertThat(request.getModelName()).isEqualTo("m");
        assertThat(request.getId()).isEqualTo("r1");
        if (sample.typed() != null) {
            assertThat(request.getInputs(0).getContents()).isEqualTo(sample.typed());
            assertThat(request.getRawInputContentsCount()).isZero();
        } else {
            // FP16 and BF16 have no typed field: raw is all gRPC has for them
            assertThat(request.getInputs(0).hasContents()).isFalse();
            assertThat(request.getRawInputContentsList()).containsExactly(ByteString.copyFrom(sample.raw()));
        }

        HttpReply reply = KServeGrpcCodec.replyFromGrpc(restRequest, grpcEcho(message));

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.headers()).containsEntry("content-type", "application/json");
        JsonNode body = JSON.readTree(reply.body());
        assertThat(body.get("id").textValue()).isEqualTo("r1");
        assertThat(body.get("model_name").textValue()).isEqualTo("m");
        JsonNode output = body.get("outputs").get(0);
        assertThat(output.get("data")).isEqualTo(JSON.readTree(sample.json()));
        assertThat(output.get("datatype").textValue()).isEqualTo(sample.datatype().name());
    }

    @ParameterizedTest
    @MethodSource("samples")
    void aBinaryRestTensorGoesToGrpcRawAndComesBackInBinaryAsAsked(Sample sample) throws Exception {
        InferenceRequest restRequest = restInfer("{\"inputs\":[{\"name\":\"x\",\"shape\":[" + sample.count()
                + "],\"datatype\":\"" + sample.datatype() + "\",\"parameters\":{\"binary_data_size\":"
                + sample.raw().length + "}}],\"parameters\":{\"binary_data_output\":true}}", sample.raw());

        byte[] message = KServeGrpcCodec.toGrpc(restRequest);

        ModelInferRequest request = ModelInferRequest.parseFrom(message);
        assertThat(request.getRawInputContentsList()).containsExactly(ByteString.copyFrom(sample.raw()));
        assertThat(request.getInputs(0).getParametersMap()).as("REST's own parameter stays in REST").isEmpty();

        HttpReply reply = KServeGrpcCodec.replyFromGrpc(restRequest, grpcEcho(message));

        assertThat(reply.headers()).containsEntry("content-type", "application/octet-stream");
        JsonNode output = jsonHeader(reply.body(), reply.headers()).get("outputs").get(0);
        assertThat(output.get("parameters").get("binary_data_size").intValue()).isEqualTo(sample.raw().length);
        assertThat(output.has("data")).isFalse();
        assertThat(binaryPart(reply.body(), reply.headers())).isEqualTo(sample.raw());
    }

    @ParameterizedTest
    @MethodSource("samples")
    void aRawGrpcOutputReachesAJsonClientDecoded(Sample sample) throws Exception {
        InferenceRequest restRequest = restInfer("{\"inputs\":[{\"name\":\"x\",\"shape\":[" + sample.count()
                + "],\"datatype\":\"" + sample.datatype() + "\",\"data\":" + sample.json() + "}]}");
        byte[] response = ModelInferResponse.newBuilder().setModelName("m").setModelVersion("1")
                .addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName("y")
                        .setDatatype(sample.datatype().name()).addShape(sample.count()))
                .addRawOutputContents(ByteString.copyFrom(sample.raw())).build().toByteArray();

        HttpReply reply = KServeGrpcCodec.replyFromGrpc(restRequest, response);

        assertThat(JSON.readTree(reply.body()).get("outputs").get(0).get("data"))
                .isEqualTo(JSON.readTree(sample.json()));
    }

    @Test
    void aClientThatSentRawGetsRawOutputsFromABackendThatAnswersJson() throws Exception {
        // the REST backend ignores binary_data_output, as servers without the extension do
        Sample fp32 = samples().filter(sample -> sample.datatype() == Datatype.FP32).findFirst().orElseThrow();
        ModelInferRequest request = ModelInferRequest.newBuilder().addInputs(input(fp32))
                .addRawInputContents(ByteString.copyFrom(fp32.raw())).build();
        InferenceRequest grpcRequest = grpc("POST", INFER, "m", null, request.toByteArray());
        HttpReply jsonReply = HttpReply.json(200, "{\"model_name\":\"m\",\"model_version\":\"1\",\"outputs\":["
                + "{\"name\":\"y\",\"datatype\":\"FP32\",\"shape\":[3],\"data\":" + fp32.json() + "}]}");

        ModelInferResponse response = grpcResponse(KServeGrpcCodec.replyFromRest(grpcRequest, jsonReply));

        assertThat(response.getRawOutputContentsList()).containsExactly(ByteString.copyFrom(fp32.raw()));
        assertThat(response.getOutputs(0).hasContents()).isFalse();
    }

    @Test
    void whenOneOutputMustBeRawAllAre() throws Exception {
        // FP16 in JSON can only go raw, and a response is all raw or all typed: the INT32 one goes raw too
        InferenceRequest grpcRequest = grpc("POST", INFER, "m", null, ModelInferRequest.newBuilder()
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("x").setDatatype("INT32")
                        .addShape(1).setContents(InferTensorContents.newBuilder().addIntContents(5)))
                .build().toByteArray());
        HttpReply mixed = HttpReply.json(200, "{\"model_name\":\"m\",\"outputs\":["
                + "{\"name\":\"half\",\"datatype\":\"FP16\",\"shape\":[1],\"data\":[1.0]},"
                + "{\"name\":\"int\",\"datatype\":\"INT32\",\"shape\":[1],\"data\":[5]}]}");

        ModelInferResponse response = grpcResponse(KServeGrpcCodec.replyFromRest(grpcRequest, mixed));

        assertThat(response.getRawOutputContentsList()).containsExactly(ByteString.copyFrom(new byte[] {0, 0x3c}),
                ByteString.copyFrom(new byte[] {5, 0, 0, 0}));
        assertThat(response.getModelVersion()).as("the version asked, when the reply names none").isEmpty();
    }

    @Test
    void aBinaryAndAJsonOutputOfOneReplyBothGoRaw() throws Exception {
        InferenceRequest grpcRequest = grpc("POST", INFER, "m", null, ModelInferRequest.newBuilder()
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("x").setDatatype("INT32")
                        .addShape(1).setContents(InferTensorContents.newBuilder().addIntContents(5)))
                .build().toByteArray());
        byte[] json = ("{\"model_name\":\"m\",\"outputs\":[{\"name\":\"a\",\"datatype\":\"INT8\",\"shape\":[2],"
                + "\"parameters\":{\"binary_data_size\":2}},{\"name\":\"b\",\"datatype\":\"BOOL\",\"shape\":[1],"
                + "\"data\":[true]},{\"name\":\"c\",\"datatype\":\"UINT8\",\"shape\":[1],"
                + "\"parameters\":{\"binary_data_size\":1}}]}").getBytes(StandardCharsets.UTF_8);
        HttpReply reply = new HttpReply(200, Map.of(HEADER_LENGTH, Integer.toString(json.length)),
                KServeCalls.concat(json, new byte[] {-1, 2, 9}));

        ModelInferResponse response = grpcResponse(KServeGrpcCodec.replyFromRest(grpcRequest, reply));

        assertThat(response.getRawOutputContentsList()).containsExactly(ByteString.copyFrom(new byte[] {-1, 2}),
                ByteString.copyFrom(new byte[] {1}), ByteString.copyFrom(new byte[] {9}));
        assertThat(response.getOutputsList()).extracting(ModelInferResponse.InferOutputTensor::getParametersCount)
                .as("binary_data_size is REST's").containsOnly(0);
    }

    @Test
    void bytesThatAreNotUtf8GoToRestInBinary() throws Exception {
        byte[] notUtf8 = {(byte) 0xff, 0, (byte) 0xfe};
        ModelInferRequest request = ModelInferRequest.newBuilder()
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("b").setDatatype("BYTES").addShape(1)
                        .setContents(InferTensorContents.newBuilder().addBytesContents(ByteString.copyFrom(notUtf8))))
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("i").setDatatype("INT16").addShape(1)
                        .setContents(InferTensorContents.newBuilder().addIntContents(-2)))
                .build();
        InferenceRequest grpcRequest = grpc("POST", INFER, "m", null, request.toByteArray());

        RestCall call = KServeGrpcCodec.toRest(grpcRequest);

        // every input goes binary once one must
        assertThat(binaryPart(call.body(), call.headers())).containsExactly(3, 0, 0, 0, 0xff, 0, 0xfe, 0xfe, 0xff);
        ModelInferResponse response = grpcResponse(KServeGrpcCodec.replyFromRest(grpcRequest, restEcho(call)));
        assertThat(response.getRawOutputContents(0).toByteArray()).containsExactly(3, 0, 0, 0, 0xff, 0, 0xfe);
    }

    @Test
    void bytesThatAreNotUtf8ReachARestClientInBinaryEvenIfItAskedForJson() throws Exception {
        InferenceRequest restRequest = restInfer("{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"BYTES\","
                + "\"data\":[\"a\"]}]}");
        byte[] response = ModelInferResponse.newBuilder()
                .addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName("y").setDatatype("BYTES")
                        .addShape(1).setContents(InferTensorContents.newBuilder()
                                .addBytesContents(ByteString.copyFrom(new byte[] {(byte) 0xc3}))))
                .addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName("z").setDatatype("INT32")
                        .addShape(1).setContents(InferTensorContents.newBuilder().addIntContents(4)))
                .build().toByteArray();

        HttpReply reply = KServeGrpcCodec.replyFromGrpc(restRequest, response);

        JsonNode outputs = jsonHeader(reply.body(), reply.headers()).get("outputs");
        assertThat(outputs.get(0).get("parameters").get("binary_data_size").intValue()).isEqualTo(5);
        assertThat(outputs.get(1).get("data").get(0).intValue()).isEqualTo(4);
        assertThat(binaryPart(reply.body(), reply.headers())).containsExactly(1, 0, 0, 0, 0xc3);
    }

    @Test
    void aRestClientGetsOutputsInBinaryWhenItAsksForThem() throws Exception {
        byte[] response = ModelInferResponse.newBuilder()
                .addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName("a").setDatatype("INT32")
                        .addShape(1).setContents(InferTensorContents.newBuilder().addIntContents(1)))
                .addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName("b").setDatatype("INT32")
                        .addShape(1).setContents(InferTensorContents.newBuilder().addIntContents(2)))
                .build().toByteArray();
        String input = "{\"name\":\"x\",\"shape\":[1],\"datatype\":\"INT32\",\"data\":[0]}";

        // all of them
        HttpReply all = KServeGrpcCodec.replyFromGrpc(restInfer("{\"inputs\":[" + input + "],"
                + "\"parameters\":{\"binary_data_output\":true}}"), response);
        assertThat(binaryPart(all.body(), all.headers())).containsExactly(1, 0, 0, 0, 2, 0, 0, 0);

        // one, named; the other as JSON
        HttpReply one = KServeGrpcCodec.replyFromGrpc(restInfer("{\"inputs\":[" + input + "],\"outputs\":["
                + "{\"name\":\"a\"},{\"name\":\"b\",\"parameters\":{\"binary_data\":true}}]}"), response);
        JsonNode outputs = jsonHeader(one.body(), one.headers()).get("outputs");
        assertThat(outputs.get(0).get("data").get(0).intValue()).isEqualTo(1);
        assertThat(binaryPart(one.body(), one.headers())).containsExactly(2, 0, 0, 0);

        // binary inputs, all outputs asked for in binary but one
        HttpReply json = KServeGrpcCodec.replyFromGrpc(restInfer("{\"inputs\":[{\"name\":\"x\",\"shape\":[1],"
                + "\"datatype\":\"INT32\",\"parameters\":{\"binary_data_size\":4}}],\"outputs\":[{\"name\":\"a\","
                + "\"parameters\":{\"binary_data\":false}},{\"name\":\"b\"}],"
                + "\"parameters\":{\"binary_data_output\":true}}", new byte[4]), response);
        outputs = jsonHeader(json.body(), json.headers()).get("outputs");
        assertThat(outputs.get(0).get("data").get(0).intValue()).isEqualTo(1);
        assertThat(binaryPart(json.body(), json.headers())).containsExactly(2, 0, 0, 0);

        // binary inputs, nothing asked: JSON, as Triton answers
        HttpReply asked = KServeGrpcCodec.replyFromGrpc(restInfer("{\"inputs\":[{\"name\":\"x\",\"shape\":[1],"
                + "\"datatype\":\"INT32\",\"parameters\":{\"binary_data_size\":4}}]}", new byte[4]), response);
        assertThat(asked.headers()).containsEntry("content-type", "application/json");
        outputs = JSON.readTree(asked.body()).get("outputs");
        assertThat(outputs.get(0).get("data").get(0).intValue()).isEqualTo(1);
        assertThat(outputs.get(1).get("data").get(0).intValue()).isEqualTo(2);
    }

    @Test
    void a32MiBRawTensorGoesThroughRestAndBackByteForByte() throws Exception {
        byte[] tensor = new byte[32 << 20];
        new Random(7).nextBytes(tensor);
        ModelInferRequest request = ModelInferRequest.newBuilder().setId("big")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("x").setDatatype("FP32")
                        .addShape(1).addShape(tensor.length / 4))
                .addRawInputContents(ByteString.copyFrom(tensor)).build();
        InferenceRequest grpcRequest = grpc("POST", INFER, "m", null, request.toByteArray());

        RestCall call = KServeGrpcCodec.toRest(grpcRequest);

        int headerLength = Integer.parseInt(call.headers().get(HEADER_LENGTH));
        assertThat(call.body().length).isEqualTo(headerLength + tensor.length);
        ModelInferResponse response = grpcResponse(KServeGrpcCodec.replyFromRest(grpcRequest, restEcho(call)));
        assertThat(response.getId()).isEqualTo("big");
        assertThat(response.getRawOutputContentsCount()).isEqualTo(1);
        assertThat(response.getRawOutputContents(0).toByteArray()).isEqualTo(tensor);
    }

    @Test
    void aRestJsonInputBesideABinaryOneGoesToGrpcRaw() throws Exception {
        InferenceRequest restRequest = restInfer("{\"inputs\":[{\"name\":\"a\",\"shape\":[2],\"datatype\":\"UINT8\","
                + "\"parameters\":{\"binary_data_size\":2}},{\"name\":\"b\",\"shape\":[1],\"datatype\":\"FP64\","
                + "\"data\":[2.5]}]}", new byte[] {7, 8});

        ModelInferRequest request = ModelInferRequest.parseFrom(KServeGrpcCodec.toGrpc(restRequest));

        assertThat(request.getRawInputContentsList()).containsExactly(ByteString.copyFrom(new byte[] {7, 8}),
                ByteString.copyFrom(raw(8, b -> b.putDouble(2.5))));
        assertThat(request.getInputsList()).noneMatch(ModelInferRequest.InferInputTensor::hasContents);
    }

    @Test
    void dataBeforeTheShapeAndDatatypeIsReadAllTheSame() throws Exception {
        InferenceRequest restRequest = restInfer("{\"inputs\":[{\"data\":[[1,2],[3,4]],\"name\":\"x\","
                + "\"datatype\":\"INT16\",\"shape\":[2,2]}]}");

        ModelInferRequest request = ModelInferRequest.parseFrom(KServeGrpcCodec.toGrpc(restRequest));

        assertThat(request.getInputs(0).getContents().getIntContentsList()).containsExactly(1, 2, 3, 4);
        assertThat(request.getInputs(0).getShapeList()).containsExactly(2L, 2L);
    }

    private static ModelInferRequest.InferInputTensor.Builder input(Sample sample) {
        return ModelInferRequest.InferInputTensor.newBuilder().setName("x").setDatatype(sample.datatype().name())
                .addShape(sample.count());
    }

    static ModelInferResponse grpcResponse(InferenceMessage reply) throws Exception {
        assertThat(reply).isInstanceOf(HttpReply.class);
        HttpReply grpcReply = (HttpReply) reply;
        assertThat(grpcReply.status()).isEqualTo(200);
        assertThat(grpcReply.headers()).containsEntry("content-type", "application/grpc");
        return ModelInferResponse.parseFrom(grpcReply.body());
    }

    private static InferTensorContents typed(Consumer<InferTensorContents.Builder> values) {
        InferTensorContents.Builder contents = InferTensorContents.newBuilder();
        values.accept(contents);
        return contents.build();
    }

    private static byte[] raw(int size, Consumer<ByteBuffer> values) {
        ByteBuffer raw = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        values.accept(raw);
        assertThat(raw.hasRemaining()).isFalse();
        return raw.array();
    }
}
