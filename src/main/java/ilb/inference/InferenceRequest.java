package ilb.inference;

import java.util.Map;

import io.netty.util.concurrent.Future;

/**
 * One inference request on its way to a backend: what the client asked for, parsed just enough to route it.
 *
 * @param api       the API it came in on
 * @param protocol  the wire it came in on, and so the format of {@code body}: KServe v2 REST JSON or OpenAI JSON over
 *                  HTTP, a KServe v2 gRPC request message over gRPC ({@link Protocol})
 * @param method    HTTP method sent to the backend
 * @param path      path and query sent to the backend (an alias already replaced by the model's name)
 * @param headers   request headers forwarded to the backend (lower-case names)
 * @param body      request body sent to the backend
 * @param model     the model's own name (not the alias the client may have used)
 * @param version   the model version asked for (KServe path, {@code x-ilb-model-version}), then the one chosen to
 *                  serve it; or null
 * @param stream    whether the client asked for Server-Sent Events
 * @param prefix    the prompt's block hashes, for policies that send a prompt where its prefix is cached
 * @param maxTokens the most output tokens the client asked for ({@code max_tokens}, {@code max_completion_tokens}),
 *                  for policies that predict how long the request takes; 0 when it did not say
 * @param session   the client's session (conversation) id, for session affinity, or null
 * @param user      the end user the client names (OpenAI's {@code user} field), or null
 * @param clientGone completes when the client goes away (its connection closes), or null if nobody waits on a
 *                   connection; a backend call still running then is stopped
 * @param priority   its class: critical, standard, sheddable, or a batch job that only takes spare capacity
 */
public record InferenceRequest(Api api, Protocol protocol, String method, String path, Map<String, String> headers, byte[] body,
        String model, String version, boolean stream, PromptPrefix prefix, int maxTokens, String session, String user,
        Future<?> clientGone, Priority priority) implements InferenceMessage {

    /** The same request, from a client in {@code session} (or null) whose going away {@code gone} signals. */
    public InferenceRequest onConnection(String session, Future<?> gone) {
        return new InferenceRequest(api, protocol, method, path, headers, body, model, version, stream, prefix,
                maxTokens, session, user, gone, priority);
    }

    /** The same request with other headers for the backend. */
    public InferenceRequest withHeaders(Map<String, String> newHeaders) {
        return new InferenceRequest(api, protocol, method, path, newHeaders, body, model, version, stream, prefix,
                maxTokens, session, user, clientGone, priority);
    }

    /** The same request with another priority. */
    public InferenceRequest withPriority(Priority newPriority) {
        return new InferenceRequest(api, protocol, method, path, headers, body, model, version, stream, prefix,
                maxTokens, session, user, clientGone, newPriority);
    }

    /**
     * The same request for a version of its model, which a KServe path then names
     * ({@code /v2/models/<m>/versions/<v>}): the server behind a version's route may hold other versions too.
     */
    public InferenceRequest withVersion(String newVersion) {
        String base = "/v2/models/" + model;
        String named = version == null ? base : base + "/versions/" + version;
        boolean rewrite = api == Api.KSERVE && path.startsWith(named)
                && (path.length() == named.length() || "/?".indexOf(path.charAt(named.length())) >= 0);
        String newPath = rewrite ? base + "/versions/" + newVersion + path.substring(named.length()) : path;
        return new InferenceRequest(api, protocol, method, newPath, headers, body, model, newVersion, stream, prefix,
                maxTokens, session, user, clientGone, priority);
    }

    @Override
    public String toString() {
        // never the headers: they may carry keys
        return method + " " + path + " model=" + model + (version == null ? "" : " version=" + version)
                + (stream ? " stream" : "") + " " + priority.label() + " (" + body.length + " bytes)";
    }
}
