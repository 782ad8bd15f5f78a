package ilb.policies;

import java.util.Map;

import ilb.inference.Api;
import ilb.inference.InferenceRequest;
import ilb.inference.PromptPrefix;

/** Inference requests for policy tests: only what policies look at (prompt and session) is filled in. */
final class Requests {

    static final InferenceRequest ANY = prompt("");

    private Requests() {
    }

    static InferenceRequest prompt(String text) {
        return inSession(text, null);
    }

    static InferenceRequest inSession(String prompt, String session) {
        return new InferenceRequest(Api.OPENAI, "POST", "/v1/chat/completions", Map.of(), new byte[0], "m", null,
                false, new PromptPrefix.Builder().add(prompt).build(), session, null);
    }
}
