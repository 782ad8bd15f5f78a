package ilb.policies;

import java.util.List;
import java.util.Map;

import ilb.backend.Backend;
import ilb.balancer.SelectionPolicy;
import ilb.inference.Api;
import ilb.inference.InferenceRequest;
import ilb.inference.Protocol;
import ilb.inference.PromptPrefix;
import ilb.inference.Priority;

/** Inference requests for policy tests: only what policies look at (prompt, output tokens and session) is filled in. */
final class Requests {

    static final InferenceRequest ANY = prompt("");

    private Requests() {
    }

    /** Chooses a backend for the request and sends it there, as the balancer does. */
    static Backend send(SelectionPolicy policy, List<Backend> candidates, InferenceRequest request) {
        Backend chosen = policy.choose(candidates, request);
        policy.sent(request, chosen);
        return chosen;
    }

    static InferenceRequest prompt(String text) {
        return inSession(text, null);
    }

    static InferenceRequest inSession(String prompt, String session) {
        return request(prompt, 0, session);
    }

    /** A request for at most {@code maxTokens} output tokens (0: it does not say). */
    static InferenceRequest asking(String prompt, int maxTokens) {
        return request(prompt, maxTokens, null);
    }

    private static InferenceRequest request(String prompt, int maxTokens, String session) {
        return new InferenceRequest(Api.OPENAI, Protocol.HTTP, "POST", "/v1/chat/completions", Map.of(), new byte[0], "m", null,
                false, new PromptPrefix.Builder().add(prompt).build(), maxTokens, session, null,
                null, Priority.STANDARD);
    }
}
