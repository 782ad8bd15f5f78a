package ilb.protocols;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ilb.admission.Tenant;
import ilb.inference.Api;
import ilb.inference.ApiError;
import ilb.inference.HttpReply;
import ilb.inference.InferenceMessage;
import ilb.inference.InferenceRequest;
import ilb.inference.PromptPrefix;
import ilb.inference.Priority;
import ilb.routing.ModelCatalog;

/**
 * The OpenAI-compatible API under {@code /v1}: chat completions, completions and embeddings go to the model's
 * route; the model list is answered here. Bodies are read only as far as routing needs: the top-level
 * {@code model} and {@code stream} fields, and the prompt ({@code messages} or {@code prompt}) as block hashes.
 */
final class OpenAiApi {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ModelCatalog catalog;
    private final long created = System.currentTimeMillis() / 1000;

    OpenAiApi(ModelCatalog catalog) {
        this.catalog = catalog;
    }

    InferenceMessage handle(Tenant tenant, String method, String path, String uri, Map<String, String> headers,
            byte[] body) {
        switch (path) {
            case "/v1/chat/completions", "/v1/completions", "/v1/embeddings" -> {
                if (!method.equals("POST")) {
                    return methodNotAllowed(method, path);
                }
                return inference(tenant, uri, headers, body);
            }
            case "/v1/models" -> {
                return method.equals("GET") ? modelList(tenant) : methodNotAllowed(method, path);
            }
            default -> {
                if (path.startsWith("/v1/models/")) {
                    return method.equals("GET")
                            ? model(tenant, URLDecoder.decode(path.substring(11), StandardCharsets.UTF_8))
                            : methodNotAllowed(method, path);
                }
                return ApiError.notFound("unknown_url", "Unknown request URL: " + method + " " + path + ".");
            }
        }
    }

    private InferenceMessage inference(Tenant tenant, String uri, Map<String, String> headers, byte[] body) {
        String model = null;
        boolean stream = false;
        PromptPrefix.Builder prompt = new PromptPrefix.Builder();
        try (JsonParser parser = JSON.getFactory().createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return ApiError.badRequest("The request body must be a JSON object.");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if (field.equals("model")) {
                    if (value != JsonToken.VALUE_STRING) {
                        return ApiError.badRequest("'model' must be a string.");
                    }
                    model = parser.getText();
                } else if (field.equals("stream")) {
                    if (value != JsonToken.VALUE_TRUE && value != JsonToken.VALUE_FALSE && value != JsonToken.VALUE_NULL) {
                        return ApiError.badRequest("'stream' must be a boolean.");
                    }
                    stream = value == JsonToken.VALUE_TRUE;
                } else if (field.equals("messages") || field.equals("prompt")) {
                    readPrompt(parser, prompt);
                } else {
                    parser.skipChildren();
                }
            }
            if (parser.nextToken() != null) {
                return ApiError.badRequest("Unexpected content after the JSON body.");
            }
        } catch (IOException e) {
            return ApiError.badRequest("We could not parse the JSON body of your request: "
                    + ApiError.firstLine(e.getMessage()));
        }
        if (model == null || model.isEmpty()) {
            return ApiError.badRequest("You must provide a model parameter.");
        }
        String requested = model;
        String name = catalog.canonicalName(requested).orElse(null);
        if (name == null) {
            return ApiError.notFound("model_not_found", "The model `" + requested + "` does not exist.");
        }
        if (!tenant.allows(name)) {
            return ApiError.notAllowed(requested);
        }
        byte[] forwarded = name.equals(requested) ? body : withModel(body, name);
        return new InferenceRequest(Api.OPENAI, "POST", uri, headers, forwarded, name, null, stream, prompt.build(),
                null, null, Priority.INTERACTIVE);
    }

    /** Feeds the prompt's text, role names and all, to the hasher in the order the client wrote it. */
    private static void readPrompt(JsonParser parser, PromptPrefix.Builder prompt) throws IOException {
        int depth = 0;
        do {
            JsonToken token = parser.currentToken();
            if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
                depth++;
            } else if (token == JsonToken.END_OBJECT || token == JsonToken.END_ARRAY) {
                depth--;
            } else if (token != null && token != JsonToken.VALUE_NULL) {
                prompt.add(token == JsonToken.FIELD_NAME ? parser.currentName() : parser.getText());
            }
        } while (depth > 0 && parser.nextToken() != null);
    }

    /** The body with its {@code model} replaced: backends know a model by its own name, not by ilb's aliases. */
    private static byte[] withModel(byte[] body, String model) {
        try {
            ObjectNode tree = (ObjectNode) JSON.readTree(body);
            tree.put("model", model);
            return JSON.writeValueAsBytes(tree);
        } catch (IOException e) {
            throw new IllegalStateException("body was parsed once already", e);
        }
    }

    /** The models the tenant may use: others stay invisible to it. */
    private HttpReply modelList(Tenant tenant) {
        ObjectNode list = JSON.createObjectNode().put("object", "list");
        ArrayNode data = list.putArray("data");
        for (ModelCatalog.ServedModel model : catalog.models()) {
            if (!tenant.allows(model.name())) {
                continue;
            }
            data.add(modelObject(model.name(), model.name()));
            model.aliases().forEach(alias -> data.add(modelObject(alias, model.name())));
        }
        return HttpReply.json(200, list.toString());
    }

    private InferenceMessage model(Tenant tenant, String id) {
        return catalog.canonicalName(id).filter(tenant::allows)
                .<InferenceMessage>map(name -> HttpReply.json(200, modelObject(id, name).toString()))
                .orElseGet(() -> ApiError.notFound("model_not_found", "The model `" + id + "` does not exist."));
    }

    private ObjectNode modelObject(String id, String root) {
        return JSON.createObjectNode().put("id", id).put("object", "model").put("created", created)
                .put("owned_by", "ilb").put("root", root);
    }

    private static ApiError methodNotAllowed(String method, String path) {
        return new ApiError(405, "invalid_request_error", "method_not_allowed",
                method + " is not allowed on " + path + ".", 0);
    }
}
