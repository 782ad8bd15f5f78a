package ilb.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * A latency objective of streamed requests: time to first token, time per output token (TPOT = (e2e − TTFT) /
 * (tokens − 1)) and end to end, each a bound in ms or unbounded (infinite). A failed request misses it.
 */
record Slo(double ttftMs, double tpotMs, double e2eMs) {

    static final double NONE = Double.POSITIVE_INFINITY;

    boolean met(Sample sample, int outputTokens) {
        double ttft = sample.ttftNanos() / 1e6;
        double e2e = sample.e2eNanos() / 1e6;
        double tpot = (e2e - ttft) / (outputTokens - 1);
        return sample.ok() && ttft <= ttftMs && tpot <= tpotMs && e2e <= e2eMs;
    }

    /** Its share of the requests, in %. */
    double attainment(Latencies latencies, int outputTokens) {
        return 100.0 * latencies.count(s -> met(s, outputTokens)) / latencies.count();
    }

    /** E.g. {@code TTFT ≤ 300 ms, e2e ≤ 1500 ms}. */
    @Override
    public String toString() {
        List<String> bounds = new ArrayList<>();
        if (ttftMs < NONE) {
            bounds.add("TTFT ≤ " + Math.round(ttftMs) + " ms");
        }
        if (tpotMs < NONE) {
            bounds.add("TPOT ≤ " + Math.round(tpotMs) + " ms");
        }
        if (e2eMs < NONE) {
            bounds.add("e2e ≤ " + Math.round(e2eMs) + " ms");
        }
        return String.join(", ", bounds);
    }
}
