package ilb.protocols;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

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
 * KServe v2 / Open Inference Protocol REST under {@code /v2}. Model paths
 * ({@code /v2/models/{model}[/versions/{version}][/ready|/infer]}) go to the route serving that model and version;
 * server health and metadata are answered here.
 */
final class KServeApi {

    private final ModelCatalog catalog;

    KServeApi(ModelCatalog catalog) {
        this.catalog = catalog;
    }

    InferenceMessage handle(Tenant tenant, String method, String path, String query, Map<String, String> headers,
            byte[] body) {
        switch (path) {
            case "/v2" -> {
                return get(method, () -> HttpReply.json(200, "{\"name\":\"ilb\",\"version\":\"1\",\"extensions\":[]}"));
            }
            case "/v2/health/live" -> {
                return get(method, () -> new HttpReply(200, Map.of(), new byte[0]));
            }
            case "/v2/health/ready" -> {
                return get(method, () -> catalog.models().isEmpty()
                        ? ApiError.unavailable("not_ready", "no model is served yet", 1)
                        : new HttpReply(200, Map.of(), new byte[0]));
            }
            default -> {
                if (path.startsWith("/v2/models/")) {
                    return model(tenant, method, path.substring("/v2/models/".length()).split("/", -1), query, headers,
                            body);
                }
                return notFound(path);
            }
        }
    }

    private InferenceMessage model(Tenant tenant, String method, String[] parts, String query,
            Map<String, String> headers, byte[] body) {
        // {model} [versions {version}] [ready|infer]
        String requested = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
        boolean versioned = parts.length >= 3 && parts[1].equals("versions") && !parts[2].isEmpty();
        String version = versioned ? URLDecoder.decode(parts[2], StandardCharsets.UTF_8) : null;
        int rest = versioned ? 3 : 1;
        String action = parts.length == rest ? "" : parts.length == rest + 1 ? parts[rest] : null;
        if (requested.isEmpty() || action == null || !(action.isEmpty() || action.equals("ready")
                || action.equals("infer"))) {
            return notFound("/v2/models/" + String.join("/", parts));
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
        String path = "/v2/models/" + name + (versioned ? "/versions/" + version : "")
                + (action.isEmpty() ? "" : "/" + action) + (query == null || query.isEmpty() ? "" : "?" + query);
        return new InferenceRequest(Api.KSERVE, method, path, headers, body, name, version, false, PromptPrefix.NONE, null,
                null, Priority.INTERACTIVE);
    }

    private static InferenceMessage get(String method, java.util.function.Supplier<InferenceMessage> answer) {
        return method.equals("GET") ? answer.get()
                : new ApiError(405, "invalid_request_error", "method_not_allowed", "use GET on this path", 0);
    }

    private static ApiError notFound(String path) {
        return ApiError.notFound("unknown_url", "no such KServe v2 endpoint: " + path);
    }
}
