package ilb.bench;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Chat completions of one size whose prompts are all different (no prefix-cache hits): random words, the same for
 * every system given the same seed and index, and what a fleet can do with them.
 *
 * @param promptWords  words of each prompt
 * @param outputTokens each request's {@code max_tokens}, all of which the simulator generates
 * @param stream       streamed (server-sent events) or one answer
 */
record DistinctChats(int promptWords, int outputTokens, boolean stream) {

    /** The simulator's prompt tokens: the words plus the role name. */
    int promptTokens() {
        return promptWords + 1;
    }

    /**
     * Request {@code index} of the run with that seed: the same for every system, but not repeated across runs (a
     * repeated prompt would be a prefix-cache hit).
     */
    ChatRequest request(long seed, long index) {
        return ChatRequest.user(Words.random(new SplittableRandom(seed * 1_000_003 + index), promptWords),
                outputTokens, stream);
    }

    Workload workload(long seed) {
        return index -> request(seed, index);
    }

    /** Requests a second the fleet completes when every server's every slot is busy. */
    double capacity(List<BackendSpec> fleet) {
        return fleet.stream().mapToDouble(s -> s.requestsPerSecond(promptTokens(), outputTokens)).sum();
    }

    /** Each server's simulator settings, service time and rate, and the fleet's capacity: a report's setup. */
    String describe(List<BackendSpec> fleet) {
        StringBuilder servers = new StringBuilder();
        for (BackendSpec spec : fleet) {
            servers.append(String.format("- %s: %.0f ms a request, %.2f req/s%n", spec,
                    spec.serviceMillis(promptTokens(), outputTokens), spec.requestsPerSecond(promptTokens(), outputTokens)));
        }
        return "Fleet (service time = ttft + prefill + (tokens − 1) × itl for a " + promptTokens()
                + "-token prompt and " + outputTokens + " output tokens; req/s = max-num-seqs / service time):\n\n"
                + servers + String.format("%nFleet capacity: **%.1f req/s**. ", capacity(fleet))
                + (stream ? "Streamed" : "Non-streamed") + " chat completions, " + promptWords
                + "-word prompts (all different), `max_tokens` " + outputTokens + ".";
    }
}
