package ilb.protocols.grpc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ilb.inference.Api;
import ilb.inference.HttpReply;
import ilb.inference.InferenceRequest;
import ilb.inference.Priority;
import ilb.inference.PromptPrefix;
import ilb.inference.Protocol;
import ilb.protocols.grpc.v2.ModelInferRequest;
import ilb.protocols.grpc.v2.ModelInferResponse;

/** KServe v2 requests as ilb holds them, and backends' echoes of them built the way the simulator echoes. */
final class KServeCalls {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String HEADER_LENGTH = "inference-header-content-length";

    private KServeCalls() {
    }

    static InferenceRequest grpc(String method, String path, String model, String version, byte[] message) {
        return grpc(method, path, model, version, message, Map.of());
    }

    static InferenceRequest grpc(String method, String path, String model, String version, byte[] message,
            Map<String, String> headers) {
        return new InferenceRequest(Api.KSERVE, Protocol.GRPC, method, path, headers, message, model, version, false,
                PromptPrefix.NONE, 0, null, null, null, Priority.STANDARD);
    }

    static InferenceRequest rest(String method, String path, String model, String version, byte[] body,
            Map<String, String> headers) {
        return new InferenceRequest(Api.KSERVE, Protocol.HTTP, method, path, headers, body, model, version, false,
                PromptPrefix.NONE, 0, null, null, null, Priority.STANDARD);
    }

    static InferenceRequest restInfer(String json) {
        return rest("POST", "/v2/models/m/infer", "m", null, json.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    /** A REST infer body in the binary extension: its JSON header, then the raw tensors. */
    static InferenceRequest restInfer(String json, byte[]... tensors) {
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        return rest("POST", "/v2/models/m/infer", "m", null, concat(header, tensors),
                Map.of(HEADER_LENGTH, Integer.toString(header.length)));
    }

    static byte[] concat(byte[] first, byte[]... rest) {
        int length = first.length;
        for (byte[] part : rest) {
            length += part.length;
        }
        byte[] all = Arrays.copyOf(first, length);
        int offset = first.length;
        for (byte[] part : rest) {
            System.arraycopy(part, 0, all, offset, part.length);
            offset += part.length;
        }
        return all;
    }

    /**
     * What the simulator answers a REST infer request: each input back as an output of the same name, its data as
     * it came, or (a binary input) its binary_data_size, with the raw tensors after the JSON as they came.
     */
    static HttpReply restEcho(KServeGrpcCodec.RestCall call) throws IOException {
        String headerLength = call.headers().get(HEADER_LENGTH);
        int jsonLength = headerLength == null ? call.body().length : Integer.parseInt(headerLength);
        JsonNode body = JSON.readTree(Arrays.copyOf(call.body(), jsonLength));
        ObjectNode result = JSON.createObjectNode().put("model_name", "m").put("model_version", "1");
        if (body.has("id")) {
            result.set("id", body.get("id"));
        }
        var outputs = result.putArray("outputs");
        for (JsonNode input : body.get("inputs")) {
            ObjectNode output = outputs.addObject().put("name", input.get("name").textValue())
                    .put("datatype", input.get("datatype").textValue());
            output.set("shape", input.get("shape"));
            JsonNode binarySize = input.path("parameters").path("binary_data_size");
            if (headerLength != null && !binarySize.isMissingNode()) {
                output.putObject("parameters").set("binary_data_size", binarySize);
            } else {
                output.set("data", input.get("data"));
            }
        }
        if (headerLength == null) {
            return HttpReply.json(200, result.toString());
        }
        byte[] json = result.toString().getBytes(StandardCharsets.UTF_8);
        byte[] tensors = Arrays.copyOfRange(call.body(), jsonLength, call.body().length);
        return new HttpReply(200, Map.of("content-type", "application/octet-stream", HEADER_LENGTH,
                Integer.toString(json.length)), concat(json, tensors));
    }

    /** What a gRPC server that echoes answers: each input back as an output, typed or raw as it came. */
    static byte[] grpcEcho(byte[] modelInferRequest) throws IOException {
        ModelInferRequest request = ModelInferRequest.parseFrom(modelInferRequest);
        ModelInferResponse.Builder response = ModelInferResponse.newBuilder().setModelName(request.getModelName())
                .setModelVersion("1").setId(request.getId()).addAllRawOutputContents(request.getRawInputContentsList());
        for (ModelInferRequest.InferInputTensor input : request.getInputsList()) {
            ModelInferResponse.InferOutputTensor.Builder output = ModelInferResponse.InferOutputTensor.newBuilder()
                    .setName(input.getName()).setDatatype(input.getDatatype()).addAllShape(input.getShapeList());
            if (input.hasContents()) {
                output.setContents(input.getContents());
            }
            response.addOutputs(output);
        }
        return response.build().toByteArray();
    }

    /** The JSON header of a REST body (all of it without the binary extension). */
    static JsonNode jsonHeader(byte[] body, Map<String, String> headers) throws IOException {
        String headerLength = headers.get(HEADER_LENGTH);
        return JSON.readTree(headerLength == null ? body : Arrays.copyOf(body, Integer.parseInt(headerLength)));
    }

    /** The raw tensors after a REST body's JSON header. */
    static byte[] binaryPart(byte[] body, Map<String, String> headers) {
        return Arrays.copyOfRange(body, Integer.parseInt(headers.get(HEADER_LENGTH)), body.length);
    }
}
