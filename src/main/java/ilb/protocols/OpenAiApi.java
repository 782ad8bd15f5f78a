package ilb.protocols;

import java.io.IOException;
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
import ilb.inference.Protocol;
import ilb.routing.ModelCatalog;

/**
 * The OpenAI-compatible API under {@code /v1}: chat completions, completions and embeddings go to the model's
 * route; the model list is answered here. Bodies are read only as far as routing needs: the top-level
 * {@code model}, {@code stream} and {@code max_tokens} ({@code max_completion_tokens}) fields, and the prompt
 * ({@code messages} or {@code prompt}) as block hashes.
 */
final class OpenAiApi {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Fields that, when set, must be positive integers. */
    private static final java.util.Set<String> COUNTS = java.util.Set.of("max_tokens", "max_completion_tokens", "n");

    private final ModelCatalog catalog;
    private final long created = System.currentTimeMillis() / 1000;

    OpenAiApi(ModelCatalog catalog) {
        this.catalog = catalog;
    }

    /** What the request's head alone says: an error, or null when its body may be read. */
    ApiError checkHead(String method, RequestPath path) {
        String joined = "/" + path.rest(0);
        return switch (joined) {
            case "/v1/chat/completions", "/v1/completions", "/v1/embeddings" ->
                method.equals("POST") ? null : methodNotAllowed(method, joined);
            case "/v1/models" -> method.equals("GET") ? null : methodNotAllowed(method, joined);
            default -> {
                if (path.size() > 2 && path.get(1).equals("models") && !path.rest(2).isEmpty()) {
                    yield method.equals("GET") ? null : methodNotAllowed(method, joined);
                }
                yield ApiError.notFound("unknown_url", "Unknown request URL: " + method + " " + joined + ".");
            }
        };
    }

    /** @param rawQuery the query as the client wrote it, or empty */
    InferenceMessage handle(Tenant tenant, String method, RequestPath path, String rawQuery,
            Map<String, String> headers, byte[] body) {
        ApiError refused = checkHead(method, path);
        if (refused != null) {
            return refused;
        }
        String joined = "/" + path.rest(0);
        return switch (joined) {
            // the path as ilb read it, not as written: the backend must not decode it a second time
            case "/v1/chat/completions", "/v1/completions", "/v1/embeddings" -> inference(tenant, Endpoint.of(joined),
                    rawQuery == null || rawQuery.isEmpty() ? joined : joined + "?" + rawQuery, headers, body);
            case "/v1/models" -> modelList(tenant);
            // answered here, never forwarded: an id may be a Hugging Face name with a '/'
            default -> model(tenant, path.rest(2));
        };
    }

    /** The inference endpoints, and the field each requires beside {@code model}. */
    private enum Endpoint {
        CHAT("messages"), COMPLETIONS("prompt"), EMBEDDINGS("input");

        final String required;

        Endpoint(String required) {
            this.required = required;
        }

        static Endpoint of(String path) {
            return switch (path) {
                case "/v1/chat/completions" -> CHAT;
                case "/v1/completions" -> COMPLETIONS;
                default -> EMBEDDINGS;
            };
        }
    }

    /**
     * Reads a request just enough to route it, and refuses what no model server would take (400): a backend's 5xx
     * on a request that got past this is the backend's own failure.
     */
    private InferenceMessage inference(Tenant tenant, Endpoint endpoint, String uri, Map<String, String> headers,
            byte[] body) {
        String model = null;
        String user = null;
        boolean stream = false;
        boolean required = false;
        // max_completion_tokens replaces max_tokens, and wins where a client sends both
        int maxTokens = 0;
        int maxCompletionTokens = 0;
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
                } else if (field.equals("user")) {
                    // the end user, whom a canary keeps on one version
                    if (value != JsonToken.VALUE_STRING && value != JsonToken.VALUE_NULL) {
                        return ApiError.badRequest("'user' must be a string.");
                    }
                    user = value == JsonToken.VALUE_STRING && !parser.getText().isEmpty() ? parser.getText() : null;
                } else if (field.equals("stream")) {
                    if (value != JsonToken.VALUE_TRUE && value != JsonToken.VALUE_FALSE && value != JsonToken.VALUE_NULL) {
                        return ApiError.badRequest("'stream' must be a boolean.");
                    }
                    stream = value == JsonToken.VALUE_TRUE;
                } else if (field.equals("messages") && endpoint == Endpoint.CHAT) {
                    String malformed = readMessages(parser, prompt);
                    if (malformed != null) {
                        return ApiError.badRequest(malformed);
                    }
                    required = true;
                } else if (field.equals(endpoint.required)) {
                    // a prompt or an input: text, or a list (of texts, of token ids, or of lists of those)
                    if (value != JsonToken.VALUE_STRING && value != JsonToken.START_ARRAY) {
                        return ApiError.badRequest("'" + field + "' must be a string or a list.");
                    }
                    readPrompt(parser, prompt);
                    required = true;
                } else if (COUNTS.contains(field)) {
                    if (value != JsonToken.VALUE_NULL && (value != JsonToken.VALUE_NUMBER_INT
                            || parser.getLongValue() < 1)) {
                        return ApiError.badRequest("'" + field + "' must be a positive integer.");
                    }
                    int count = value == JsonToken.VALUE_NULL ? 0
                            : (int) Math.min(Integer.MAX_VALUE, parser.getLongValue());
                    if (field.equals("max_tokens")) {
                        maxTokens = count;
                    } else if (field.equals("max_completion_tokens")) {
                        maxCompletionTokens = count;
                    }
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
        if (!required) {
            return ApiError.badRequest("You must provide a '" + endpoint.required + "' parameter.");
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
        return new InferenceRequest(Api.OPENAI, Protocol.HTTP, "POST", uri, headers, forwarded, name, null, stream, prompt.build(),
                maxCompletionTokens > 0 ? maxCompletionTokens : maxTokens, null, user, null, Priority.STANDARD);
    }

    /** Reads {@code messages}, a non-empty list of message objects, into the prompt; null, or what is wrong. */
    private static String readMessages(JsonParser parser, PromptPrefix.Builder prompt) throws IOException {
        if (parser.currentToken() != JsonToken.START_ARRAY) {
            return "'messages' must be a list of messages.";
        }
        int count = 0;
        while (parser.nextToken() != JsonToken.END_ARRAY) {
            if (parser.currentToken() != JsonToken.START_OBJECT) {
                return "'messages[" + count + "]' must be an object with a 'role' and a 'content'.";
            }
            readPrompt(parser, prompt);
            count++;
        }
        return count == 0 ? "'messages' must not be empty." : null;
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

    /** The models the tenant may use and whose stages it reaches: others stay invisible to it. */
    private HttpReply modelList(Tenant tenant) {
        ObjectNode list = JSON.createObjectNode().put("object", "list");
        ArrayNode data = list.putArray("data");
        for (ModelCatalog.ServedModel model : catalog.models()) {
            if (!tenant.allows(model.name()) || !catalog.reaches(tenant, model.name())) {
                continue;
            }
            data.add(modelObject(model.name(), model.name()));
            model.aliases().forEach(alias -> data.add(modelObject(alias, model.name())));
        }
        return HttpReply.json(200, list.toString());
    }

    private InferenceMessage model(Tenant tenant, String id) {
        return catalog.canonicalName(id).filter(name -> tenant.allows(name) && catalog.reaches(tenant, name))
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
