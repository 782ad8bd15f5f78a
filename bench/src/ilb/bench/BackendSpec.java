package ilb.bench;

import java.util.ArrayList;
import java.util.List;

import ilb.inference.Protocol;

/**
 * One simulated model server of a fleet: how fast it is (simulator flags) and how the balancers are told to treat it.
 *
 * @param hardware          what it stands for ({@code gpu}, {@code cpu}); passed to ilb as {@code hardware}
 * @param tier              ilb's tier: tier 1 takes only what tier 0 cannot
 * @param capacity          most requests in flight the balancers give it (ilb {@code capacity}, HAProxy {@code maxconn})
 * @param maxNumSeqs        sequences it decodes at once
 * @param ttftMs            fixed part of its time to first token
 * @param prefillMsPerToken prefill of each uncached prompt token
 * @param itlMs             time between two output tokens
 * @param kvCacheTokens     size of its prefix cache, in tokens
 * @param protocol          what it serves: OpenAI and KServe v2 over HTTP, or KServe v2 over gRPC (its url is then
 *                          {@code grpc://host:port}, and the systems in front of it serve gRPC too)
 */
record BackendSpec(String hardware, int tier, int capacity, int maxNumSeqs, double ttftMs, double prefillMsPerToken,
        double itlMs, int kvCacheTokens, Protocol protocol) {

    private static final int DEFAULT_KV_CACHE_TOKENS = 65_536;

    /** A GPU-like server: 16 sequences at a time, 40 ms to the first token, 12 ms a token after it. */
    static BackendSpec gpu() {
        return new BackendSpec("gpu", 0, 16, 16, 40, 0.05, 12, DEFAULT_KV_CACHE_TOKENS, Protocol.HTTP);
    }

    /** A CPU-like server: 4 sequences, slow prefill and decode, in tier 1. */
    static BackendSpec cpu() {
        return new BackendSpec("cpu", 1, 4, 4, 200, 0.5, 45, DEFAULT_KV_CACHE_TOKENS, Protocol.HTTP);
    }

    /**
     * Issue 14's fast server: 6 sequences at a time, 15 ms to the first token whatever the prompt, 4 ms a token
     * after it.
     */
    static BackendSpec fast() {
        return new BackendSpec("gpu", 0, 6, 6, 15, 0, 4, DEFAULT_KV_CACHE_TOKENS, Protocol.HTTP);
    }

    /** Issue 14's slow server: 2 sequences, 60 ms to the first token, 20 ms a token, in tier 1. */
    static BackendSpec slow() {
        return new BackendSpec("cpu", 1, 2, 2, 60, 0, 20, DEFAULT_KV_CACHE_TOKENS, Protocol.HTTP);
    }

    /** A server that answers at once: only the proxies' own cost is left to measure. */
    static BackendSpec instant() {
        return new BackendSpec("gpu", 0, 4096, 4096, 0, 0, 0, DEFAULT_KV_CACHE_TOKENS, Protocol.HTTP);
    }

    BackendSpec withLatency(double ttftMs, double prefillMsPerToken, double itlMs) {
        return new BackendSpec(hardware, tier, capacity, maxNumSeqs, ttftMs, prefillMsPerToken, itlMs, kvCacheTokens,
                protocol);
    }

    /** The same server decoding {@code seqs} sequences at once, and given as many by the balancers. */
    BackendSpec withBatch(int seqs) {
        return new BackendSpec(hardware, tier, seqs, seqs, ttftMs, prefillMsPerToken, itlMs, kvCacheTokens, protocol);
    }

    BackendSpec withKvCacheTokens(int tokens) {
        return new BackendSpec(hardware, tier, capacity, maxNumSeqs, ttftMs, prefillMsPerToken, itlMs, tokens,
                protocol);
    }

    /** The same server serving KServe v2 over gRPC instead of HTTP. */
    BackendSpec overGrpc() {
        return new BackendSpec(hardware, tier, capacity, maxNumSeqs, ttftMs, prefillMsPerToken, itlMs, kvCacheTokens,
                Protocol.GRPC);
    }

    /** How long one request holds a sequence slot when nothing of its prompt is cached. */
    double serviceMillis(int promptTokens, int outputTokens) {
        return ttftMs + prefillMsPerToken * promptTokens + (outputTokens - 1) * itlMs;
    }

    /** Requests a second it completes when every slot is busy. */
    double requestsPerSecond(int promptTokens, int outputTokens) {
        return maxNumSeqs * 1000.0 / serviceMillis(promptTokens, outputTokens);
    }

    /** The simulator's command line for this server on {@code port} (0: any free port). */
    String[] simulatorFlags(int port) {
        List<String> flags = new ArrayList<>(List.of("--port", String.valueOf(port), "--model", ChatRequest.MODEL, "--max-num-seqs",
                String.valueOf(maxNumSeqs), "--ttft-ms", String.valueOf(ttftMs), "--prefill-ms-per-token",
                String.valueOf(prefillMsPerToken), "--itl-ms", String.valueOf(itlMs), "--block-tokens", "16",
                "--kv-cache-tokens", String.valueOf(kvCacheTokens)));
        // HTTP is the simulator's default
        if (protocol == Protocol.GRPC) {
            flags.addAll(List.of("--protocol", protocol.label()));
        }
        return flags.toArray(String[]::new);
    }

    @Override
    public String toString() {
        return String.format("%s tier %d: max-num-seqs %d, ttft %.0f ms + %.2f ms/prompt token, itl %.0f ms, "
                + "kv cache %d tokens; capacity %d", hardware, tier, maxNumSeqs, ttftMs, prefillMsPerToken, itlMs,
                kvCacheTokens, capacity) + (protocol == Protocol.GRPC ? "; KServe v2 over gRPC" : "");
    }
}
