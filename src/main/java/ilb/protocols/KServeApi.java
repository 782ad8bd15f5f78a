package ilb.protocols;

import java.io.IOException;
import java.util.Map;
import java.util.function.Supplier;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import ilb.admission.Tenant;
import ilb.inference.Api;
import ilb.inference.ApiError;
import ilb.inference.HttpReply;
import ilb.inference.InferenceMessage;
import ilb.inference.InferenceRequest;
import ilb.inference.PromptPrefix;
import ilb.inference.Priority;
import ilb.inference.Protocol;
import ilb.protocols.grpc.InferRequestCheck;
import ilb.routing.ModelCatalog;
import ilb.routing.VersionChoice;

/**
 * KServe v2 / Open Inference Protocol REST under {@code /v2}. Model paths
 * ({@code /v2/models/{model}[/versions/{version}][/ready|/infer]}) go to the route serving that model and version;
 * server health and metadata are answered here. Model names and versions must be single safe path segments: they
 * are written into the backend's request line.
 */
public final class KServeApi {

    private static final JsonFactory JSON = new JsonFactory();

    private final ModelCatalog catalog;

    public KServeApi(ModelCatalog catalog) {
        this.catalog = catalog;
    }

    /** A model path, once its model is known and allowed: where the request goes. */
    private record Target(String model, String version, String action) {
    }

    /** What the request's head alone says: an error, or null when its body may be read. */
    ApiError checkHead(Tenant tenant, String method, RequestPath path) {
        return resolve(tenant, method, path) instanceof ApiError error ? error : null;
    }

    /**
     * What a request comes to: an {@link InferenceRequest} for its model's route, or what ilb answers itself. A
     * request over gRPC comes here as the REST request it stands for ({@link ilb.protocols.grpc.KServeRpc}), with
     * its gRPC message as the body.
     */
    public InferenceMessage handle(Tenant tenant, Protocol protocol, String method, RequestPath path, String rawQuery,
            Map<String, String> headers, byte[] body) {
        Object resolved = resolve(tenant, method, path);
        if (resolved instanceof Supplier<?> answer) {
            return (InferenceMessage) answer.get();
        }
        if (!(resolved instanceof Target target)) {
            return (ApiError) resolved;
        }
        if (target.action().equals("infer")) {
            String malformed = protocol == Protocol.GRPC ? InferRequestCheck.malformed(body)
                    : malformedInferBody(headers.get("inference-header-content-length"), body);
            if (malformed != null) {
                return new ApiError(400, "invalid_request_error", "invalid_request", malformed, 0);
            }
        }
        String forwarded = "/v2/models/" + target.model()
                + (target.version() == null ? "" : "/versions/" + target.version())
                + (target.action().isEmpty() ? "" : "/" + target.action())
                + (rawQuery == null || rawQuery.isEmpty() ? "" : "?" + rawQuery);
        return new InferenceRequest(Api.KSERVE, protocol, method, forwarded, headers, body, target.model(), target.version(),
                false, PromptPrefix.NONE, 0, null, null, null, Priority.STANDARD);
    }

    /** A {@link Target}, an answer of ilb's own (a {@link Supplier}), or the {@link ApiError}. */
    private Object resolve(Tenant tenant, String method, RequestPath path) {
        String joined = "/" + path.rest(0);
        switch (joined) {
            case "/v2" -> {
                return get(method, () -> HttpReply.json(200, "{\"name\":\"ilb\",\"version\":\"1\",\"extensions\":[]}"));
            }
            case "/v2/health/live" -> {
                return get(method, () -> new HttpReply(200, Map.of(), new byte[0]));
            }
            case "/v2/health/ready" -> {
                return get(method, () -> catalog.isShuttingDown()
                        ? ApiError.unavailable("shutting_down", "ilb is shutting down: it finishes the requests in"
                                + " flight and takes no new ones soon", 1)
                        : catalog.models().isEmpty() ? ApiError.unavailable("not_ready", "no model is served yet", 1)
                        : new HttpReply(200, Map.of(), new byte[0]));
            }
            default -> {
                if (path.size() >= 3 && path.get(1).equals("models")) {
                    return model(tenant, method, path);
                }
                return notFound(joined);
            }
        }
    }

    private Object model(Tenant tenant, String method, RequestPath path) {
        // v2 models {model} [versions {version}] [ready|infer]
        String requested = path.get(2);
        boolean versioned = path.size() >= 5 && path.get(3).equals("versions");
        String version = versioned ? path.get(4) : null;
        int rest = versioned ? 5 : 3;
        String action = path.size() == rest ? "" : path.size() == rest + 1 ? path.get(rest) : null;
        if (requested.isEmpty() || action == null
                || !(action.isEmpty() || action.equals("ready") || action.equals("infer"))) {
            return notFound("/" + path.rest(0));
        }
        if (!RequestPath.isSafeName(requested) || versioned && !RequestPath.isSafeName(version)) {
            return ApiError.badRequest("model names and versions are single path segments without '/', '..', '%',"
                    + " '?', '#', spaces or control characters");
        }
        String expected = action.equals("infer") ? "POST" : "GET";
        if (!method.equals(expected)) {
            return new ApiError(405, "invalid_request_error", "method_not_allowed",
                    "use " + expected + " on this path", 0);
        }
        String name = catalog.canonicalName(requested).orElse(null);
        if (name == null) {
            return ApiError.notFound("model_not_found", "model '" + requested + "' is not found");
        }
        if (!tenant.allows(name)) {
            return ApiError.notAllowed(requested);
        }
        if (!catalog.reaches(tenant, name)) {
            // hidden from a tenant that reaches none of its stages, but for inference, which says why not
            return action.equals("infer") ? VersionChoice.stageNotAllowed(name, tenant)
                    : ApiError.notFound("model_not_found", "model '" + requested + "' is not found");
        }
        return new Target(name, version, action);
    }

    /**
     * Why an infer body is not a v2 inference request ({@code {"inputs": [{"name", "shape", "datatype", "data" |
     * "parameters": {"binary_data_size"}}, ...]}}), or null when it is. With the binary tensor extension only its
     * JSON header (the first {@code inference-header-content-length} bytes) is JSON. Tensor data is skipped, not
     * checked: the server checks it against the shape.
     */
    static String malformedInferBody(String jsonHeaderLength, byte[] body) {
        int length = body.length;
        if (jsonHeaderLength != null) {
            try {
                length = Integer.parseInt(jsonHeaderLength.trim());
            } catch (NumberFormatException e) {
                length = -1;
            }
            if (length < 0 || length > body.length) {
                return "inference-header-content-length must be the length of the body's JSON header, at most "
                        + body.length;
            }
        }
        try (JsonParser parser = JSON.createParser(body, 0, length)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return "the request body must be a JSON object";
            }
            int inputs = -1;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if (field.equals("inputs")) {
                    if (value != JsonToken.START_ARRAY) {
                        return "'inputs' must be a list of tensors";
                    }
                    inputs = 0;
                    while (parser.nextToken() != JsonToken.END_ARRAY) {
                        String bad = malformedTensor(parser, inputs);
                        if (bad != null) {
                            return bad;
                        }
                        inputs++;
                    }
                } else {
                    parser.skipChildren();
                }
            }
            if (parser.nextToken() != null) {
                return "unexpected content after the JSON body";
            }
            return inputs > 0 ? null : "'inputs' must be a list of one or more tensors";
        } catch (IOException e) {
            return "the request body is not valid JSON: " + ApiError.firstLine(e.getMessage());
        }
    }

    private static String malformedTensor(JsonParser parser, int index) throws IOException {
        if (parser.currentToken() != JsonToken.START_OBJECT) {
            return "inputs[" + index + "] must be a tensor object";
        }
        boolean name = false;
        boolean shape = false;
        boolean datatype = false;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken value = parser.nextToken();
            switch (field) {
                case "name" -> name = value == JsonToken.VALUE_STRING;
                case "datatype" -> datatype = value == JsonToken.VALUE_STRING;
                case "shape" -> {
                    if (value != JsonToken.START_ARRAY) {
                        return "inputs[" + index + "].shape must be a list of integers";
                    }
                    while (parser.nextToken() != JsonToken.END_ARRAY) {
                        if (parser.currentToken() != JsonToken.VALUE_NUMBER_INT || parser.getLongValue() < 0) {
                            return "inputs[" + index + "].shape must be a list of non-negative integers";
                        }
                    }
                    shape = true;
                }
                default -> parser.skipChildren();
            }
        }
        if (!name || !shape || !datatype) {
            return "inputs[" + index + "] must have a string 'name', a 'shape' and a string 'datatype'";
        }
        return null;
    }

    private static Object get(String method, Supplier<InferenceMessage> answer) {
        return method.equals("GET") ? answer
                : new ApiError(405, "invalid_request_error", "method_not_allowed", "use GET on this path", 0);
    }

    private static ApiError notFound(String path) {
        return ApiError.notFound("unknown_url", "no such KServe v2 endpoint: " + path);
    }
}
