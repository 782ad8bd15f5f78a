package ilb.policies;

import java.util.HashMap;
import java.util.Map;

import ilb.inference.Api;
import ilb.inference.InferenceRequest;
import ilb.inference.PromptPrefix;

/** Inference requests for policy tests: only what policies look at (prompt and headers) is filled in. */
final class Requests {

    static final InferenceRequest ANY = prompt("");

    private Requests() {
    }

    static InferenceRequest prompt(String text) {
        return request(text, Map.of());
    }

    static InferenceRequest request(String prompt, Map<String, String> headers) {
        return new InferenceRequest(Api.OPENAI, "POST", "/v1/chat/completions", new HashMap<>(headers), new byte[0],
                "m", null, false, new PromptPrefix.Builder().add(prompt).build(), null);
    }
}
