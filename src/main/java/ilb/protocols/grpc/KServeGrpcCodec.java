package ilb.protocols.grpc;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import ilb.inference.BackendFailure;
import ilb.inference.HttpReply;
import ilb.inference.InferenceMessage;
import ilb.inference.InferenceRequest;
import ilb.protocols.grpc.v2.ModelInferRequest;
import ilb.protocols.grpc.v2.ModelInferResponse;
import ilb.protocols.grpc.v2.ModelMetadataRequest;
import ilb.protocols.grpc.v2.ModelMetadataResponse;
import ilb.protocols.grpc.v2.ModelReadyRequest;
import ilb.protocols.grpc.v2.ModelReadyResponse;
import ilb.protocols.grpc.v2.ServerLiveRequest;
import ilb.protocols.grpc.v2.ServerLiveResponse;
import ilb.protocols.grpc.v2.ServerMetadataRequest;
import ilb.protocols.grpc.v2.ServerMetadataResponse;
import ilb.protocols.grpc.v2.ServerReadyRequest;
import ilb.protocols.grpc.v2.ServerReadyResponse;

/**
 * KServe v2 between its two wires: REST (JSON, with the binary tensor extension) and gRPC
 * ({@code grpc_predict_v2.proto}), in both directions, tensors included (typed contents and raw contents, byte for
 * byte). Pure functions: a request and its reply in, the other wire's out.
 */
public final class KServeGrpcCodec {

    /** A request that cannot be written in the other wire: the client's fault, answered 400 / INVALID_ARGUMENT. */
    public static final class Unconvertible extends IllegalArgumentException {
        public Unconvertible(String message) {
            super(message);
        }
    }

    /** A REST request for an HTTP backend. */
    public record RestCall(String method, String path, Map<String, String> headers, byte[] body) {
    }

    /**
     * Request headers (gRPC metadata) a KServe backend gets, whichever wire either side speaks: tracing, never the
     * client's credentials.
     */
    public static final List<String> FORWARDED_HEADERS = List.of("x-request-id", "traceparent", "tracestate");
    private static final HttpReply EMPTY_OK = new HttpReply(200, Map.of(), new byte[0]);

    private KServeGrpcCodec() {
    }

    /**
     * A gRPC request's message with its model and version replaced by the request's own ({@link
     * InferenceRequest#model()}, {@link InferenceRequest#version()}): an alias becomes the model's name, and the
     * version chosen by the route is the one the backend is asked for. Works for the three messages that name a
     * model (fields 1 and 2 of {@code ModelInferRequest}, {@code ModelReadyRequest}, {@code ModelMetadataRequest}).
     */
    public static byte[] withModel(InferenceRequest grpcRequest) {
        return Messages.withStrings(grpcRequest.body(), grpcRequest.model(), version(grpcRequest));
    }

    /**
     * The REST request for an HTTP backend that a gRPC request stands for. An infer request's typed contents become
     * JSON {@code data}; raw contents (or BYTES that are not UTF-8) go in the binary tensor extension, every input
     * then, and its outputs are asked for in binary too. Tracing headers are passed on, credentials never.
     *
     * @throws Unconvertible when the message is not one REST can carry
     */
    public static RestCall toRest(InferenceRequest grpcRequest) {
        Map<String, String> headers = new LinkedHashMap<>();
        FORWARDED_HEADERS.forEach(name -> {
            String value = grpcRequest.headers().get(name);
            if (value != null) {
                headers.put(name, value);
            }
        });
        KServeRpc rpc = rpc(grpcRequest);
        if (rpc != KServeRpc.MODEL_INFER) {
            return new RestCall(rpc.httpMethod(), grpcRequest.path(), headers, new byte[0]);
        }
        ModelInferRequest request = parse(ModelInferRequest.parser(), grpcRequest.body(), "a ModelInferRequest");
        List<Tensor> inputs = Tensor.inputs(request);
        // raw tensors stay raw (the extension exists for them), and then so do their outputs: asked for raw
        boolean binary = request.getRawInputContentsCount() > 0 || !inputs.stream().allMatch(TensorJson::fits);
        RestBodyWriter body = new RestBodyWriter();
        try {
            JsonGenerator json = body.json;
            json.writeStartObject();
            if (!request.getId().isEmpty()) {
                json.writeStringField("id", request.getId());
            }
            body.parameters(request.getParametersMap(), binary);
            json.writeArrayFieldStart("inputs");
            for (Tensor input : inputs) {
                body.tensor(input, binary);
            }
            json.writeEndArray();
            if (request.getOutputsCount() > 0) {
                json.writeArrayFieldStart("outputs");
                for (ModelInferRequest.InferRequestedOutputTensor output : request.getOutputsList()) {
                    json.writeStartObject();
                    json.writeStringField("name", output.getName());
                    if (output.getParametersCount() > 0) {
                        json.writeObjectFieldStart("parameters");
                        Parameters.writeFields(json, output.getParametersMap());
                        json.writeEndObject();
                    }
                    json.writeEndObject();
                }
                json.writeEndArray();
            }
            json.writeEndObject();
            RestBodyWriter.Body written = body.finish();
            headers.putAll(written.headers());
            return new RestCall(rpc.httpMethod(), grpcRequest.path(), headers, written.bytes());
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory cannot fail", e);
        }
    }

    /**
     * An HTTP backend's reply to {@link #toRest}, in gRPC: a 2xx becomes {@code HttpReply(200, content-type
     * application/grpc, <response message>)}; anything else is returned as it is (the gRPC entry maps errors to
     * statuses), but a health or ready path's "not ready" (a 4xx other than 404, or a 503), which is an answer:
     * {@code ready: false}. Outputs are typed, or all raw when one came in binary or can only be raw (FP16, BF16),
     * or when the client sent its inputs raw. A 2xx that is not KServe v2 is a {@link BackendFailure}.
     */
    public static InferenceMessage replyFromRest(InferenceRequest grpcRequest, HttpReply restReply) {
        KServeRpc rpc = rpc(grpcRequest);
        int status = restReply.status();
        if (status / 100 != 2) {
            // a health path answers "not ready" with an error status; 404 says the path or model is not there
            boolean notReady = (status / 100 == 4 && status != 404 || status == 503) && (rpc == KServeRpc.SERVER_LIVE
                    || rpc == KServeRpc.SERVER_READY || rpc == KServeRpc.MODEL_READY);
            return notReady ? grpcReply(health(rpc, false)) : restReply;
        }
        try {
            return grpcReply(switch (rpc) {
                case SERVER_LIVE, SERVER_READY, MODEL_READY -> health(rpc, true);
                case SERVER_METADATA -> MetadataJson.server(restReply.body());
                case MODEL_METADATA -> MetadataJson.model(restReply.body());
                case MODEL_INFER -> inferResponse(grpcRequest, restReply);
            });
        } catch (Unconvertible e) {
            return new BackendFailure(BackendFailure.Kind.PROTOCOL,
                    "the backend's reply to " + grpcRequest.path() + " is not KServe v2: " + e.getMessage());
        }
    }

    /** ilb's own 2xx REST answer to a server-level call (live, ready, metadata) as its response message; else null. */
    static byte[] serverAnswer(KServeRpc rpc, byte[] restBody) {
        return switch (rpc) {
            case SERVER_LIVE, SERVER_READY -> health(rpc, true).toByteArray();
            case SERVER_METADATA -> MetadataJson.server(restBody).toByteArray();
            case MODEL_READY, MODEL_METADATA, MODEL_INFER -> null;
        };
    }

    /**
     * The gRPC request message for a gRPC backend that a REST request stands for ({@link KServeRpc#of}), naming
     * {@link InferenceRequest#model()} and {@link InferenceRequest#version()}. JSON {@code data} becomes typed
     * contents, binary tensors raw ones; if one input is raw (FP16 and BF16 can only be), all are, as the proto
     * requires.
     *
     * @throws Unconvertible when the body cannot be written in gRPC (a value not of its tensor's datatype, data not
     *                       nested as its shape, an unknown datatype, a parameter gRPC cannot hold...)
     */
    public static byte[] toGrpc(InferenceRequest restRequest) {
        String version = version(restRequest);
        MessageLite message = switch (rpc(restRequest)) {
            case SERVER_LIVE -> ServerLiveRequest.getDefaultInstance();
            case SERVER_READY -> ServerReadyRequest.getDefaultInstance();
            case SERVER_METADATA -> ServerMetadataRequest.getDefaultInstance();
            case MODEL_READY -> ModelReadyRequest.newBuilder().setName(restRequest.model()).setVersion(version).build();
            case MODEL_METADATA -> ModelMetadataRequest.newBuilder().setName(restRequest.model()).setVersion(version)
                    .build();
            case MODEL_INFER -> inferRequest(restRequest, version);
        };
        return message.toByteArray();
    }

    /**
     * A gRPC backend's response message to {@link #toGrpc}, as the REST reply the client expects: outputs as JSON
     * {@code data}, or in the binary extension when the client asks for them so ({@code binary_data} of the output,
     * else {@code binary_data_output}, else whether its own inputs were binary) or they are BYTES that are not
     * UTF-8. A "not ready" or "not live" answer is a 503; a message that cannot be written in REST a 502.
     */
    public static HttpReply replyFromGrpc(InferenceRequest restRequest, byte[] responseMessage) {
        KServeRpc rpc = rpc(restRequest);
        try {
            return switch (rpc) {
                case SERVER_LIVE -> healthReply(Messages.parse(ServerLiveResponse.parser(), responseMessage).getLive(),
                        "the server is not live");
                case SERVER_READY -> healthReply(Messages.parse(ServerReadyResponse.parser(), responseMessage)
                        .getReady(), "the server is not ready");
                case MODEL_READY -> healthReply(Messages.parse(ModelReadyResponse.parser(), responseMessage).getReady(),
                        "model " + restRequest.model() + (restRequest.version() == null ? ""
                                : " version " + restRequest.version()) + " is not ready");
                case SERVER_METADATA -> HttpReply.json(200,
                        MetadataJson.server(Messages.parse(ServerMetadataResponse.parser(), responseMessage)));
                case MODEL_METADATA -> HttpReply.json(200,
                        MetadataJson.model(Messages.parse(ModelMetadataResponse.parser(), responseMessage)));
                case MODEL_INFER -> inferReply(restRequest,
                        Messages.parse(ModelInferResponse.parser(), responseMessage));
            };
        } catch (InvalidProtocolBufferException | Unconvertible e) {
            return error(502, "the gRPC backend's reply to " + restRequest.path() + " cannot be written in REST: "
                    + e.getMessage());
        }
    }

    /** The REST infer request as a {@code ModelInferRequest}: all inputs raw if one must be (the proto's rule). */
    private static ModelInferRequest inferRequest(InferenceRequest restRequest, String version) {
        RestInference rest = RestInference.request(restRequest.body(),
                restRequest.headers().get(RestInference.HEADER_LENGTH), true);
        boolean raw = rest.binary() || !rest.tensors().stream().allMatch(tensor -> tensor.datatype().typed());
        ModelInferRequest.Builder request = ModelInferRequest.newBuilder().setModelName(restRequest.model())
                .setModelVersion(version).putAllParameters(rest.parameters());
        if (rest.id() != null) {
            request.setId(rest.id());
        }
        for (Tensor input : rest.tensors()) {
            request.addInputs(input.asInput(raw));
            if (raw) {
                request.addRawInputContents(input.rawContents());
            }
        }
        for (RestInference.Requested output : rest.requested()) {
            request.addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName(output.name())
                    .putAllParameters(output.parameters()));
        }
        return request.build();
    }

    /** A REST infer reply as a {@code ModelInferResponse}: all outputs raw if one must be or the client's were. */
    private static ModelInferResponse inferResponse(InferenceRequest grpcRequest, HttpReply restReply) {
        RestInference rest = RestInference.response(restReply.body(),
                restReply.headers().get(RestInference.HEADER_LENGTH));
        boolean raw = rest.binary() || !rest.tensors().stream().allMatch(tensor -> tensor.datatype().typed())
                || sentRaw(grpcRequest);
        ModelInferResponse.Builder response = ModelInferResponse.newBuilder()
                .setModelName(rest.modelName() != null ? rest.modelName() : grpcRequest.model())
                .setModelVersion(rest.modelVersion() != null ? rest.modelVersion() : version(grpcRequest))
                .setId(rest.id() != null ? rest.id() : "")
                .putAllParameters(rest.parameters());
        for (Tensor output : rest.tensors()) {
            response.addOutputs(output.asOutput(raw));
            if (raw) {
                response.addRawOutputContents(output.rawContents());
            }
        }
        return response.build();
    }

    private static boolean sentRaw(InferenceRequest grpcRequest) {
        try {
            return Messages.has(grpcRequest.body(), ModelInferRequest.RAW_INPUT_CONTENTS_FIELD_NUMBER);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("the request was a ModelInferRequest when it was sent", e);
        }
    }

    /** A {@code ModelInferResponse} as the REST reply, each output in binary if the client asks for it so. */
    private static HttpReply inferReply(InferenceRequest restRequest, ModelInferResponse response) {
        RestInference asked = RestInference.request(restRequest.body(),
                restRequest.headers().get(RestInference.HEADER_LENGTH), false);
        RestBodyWriter body = new RestBodyWriter();
        try {
            JsonGenerator json = body.json;
            json.writeStartObject();
            json.writeStringField("model_name", response.getModelName());
            json.writeStringField("model_version", response.getModelVersion());
            if (!response.getId().isEmpty()) {
                json.writeStringField("id", response.getId());
            }
            body.parameters(response.getParametersMap(), false);
            json.writeArrayFieldStart("outputs");
            for (Tensor output : Tensor.outputs(response)) {
                body.tensor(output, asked.wantsBinary(output.name()));
            }
            json.writeEndArray();
            json.writeEndObject();
            RestBodyWriter.Body written = body.finish();
            return new HttpReply(200, written.headers(), written.bytes());
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory cannot fail", e);
        }
    }

    private static MessageLite health(KServeRpc rpc, boolean good) {
        return switch (rpc) {
            case SERVER_LIVE -> ServerLiveResponse.newBuilder().setLive(good).build();
            case SERVER_READY -> ServerReadyResponse.newBuilder().setReady(good).build();
            default -> ModelReadyResponse.newBuilder().setReady(good).build();
        };
    }

    private static HttpReply healthReply(boolean good, String notGood) {
        return good ? EMPTY_OK : error(503, notGood);
    }

    private static HttpReply grpcReply(MessageLite message) {
        return new HttpReply(200, Map.of("content-type", "application/grpc"), message.toByteArray());
    }

    /** A KServe REST error: {@code {"error": "..."}}. */
    private static HttpReply error(int status, String message) {
        return HttpReply.json(status, JsonNodeFactory.instance.objectNode().put("error", message).toString());
    }

    private static KServeRpc rpc(InferenceRequest request) {
        KServeRpc rpc = KServeRpc.of(request.method(), request.path());
        if (rpc == null) {
            throw new Unconvertible("no call of the KServe v2 gRPC service is " + request.method() + " "
                    + request.path());
        }
        return rpc;
    }

    private static String version(InferenceRequest request) {
        return request.version() == null ? "" : request.version();
    }

    private static <T> T parse(Parser<T> parser, byte[] message, String what) {
        try {
            return Messages.parse(parser, message);
        } catch (InvalidProtocolBufferException e) {
            throw new Unconvertible("the request is not " + what + ": " + e.getMessage());
        }
    }
}
