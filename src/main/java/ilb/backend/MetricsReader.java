package ilb.backend;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the Prometheus text of vLLM, SGLang and Triton (TensorRT-LLM) servers into {@link BackendTelemetry}.
 * Queue gauges are summed over label sets (a server with several models or engines counts all its queue); cache
 * use is the largest of them. Latencies come from histograms: the mean over the requests finished since the
 * previous scrape, smoothed, and kept as they were while nothing finishes, for up to {@link #FORGET_NANOS}.
 * One reader per backend; not thread-safe (one scrape at a time).
 */
final class MetricsReader {

    /** Each quantity under the names servers publish it by, first match wins. */
    private static final List<String> WAITING = List.of("vllm:num_requests_waiting", "sglang:num_queue_reqs",
            "nv_trt_llm_request_metrics{request_type=waiting}", "nv_inference_pending_request_count");
    private static final List<String> RUNNING = List.of("vllm:num_requests_running", "sglang:num_running_reqs",
            "nv_trt_llm_request_metrics{request_type=scheduled}");
    private static final List<String> KV_CACHE = List.of("vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc",
            "sglang:token_usage", "nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=fraction}");
    private static final List<String> TTFT = List.of("vllm:time_to_first_token_seconds",
            "sglang:time_to_first_token_seconds");
    private static final List<String> TPOT = List.of("vllm:time_per_output_token_seconds",
            "vllm:inter_token_latency_seconds", "sglang:inter_token_latency_seconds",
            "sglang:time_per_output_token_seconds");
    private static final List<String> E2E = List.of("vllm:e2e_request_latency_seconds",
            "sglang:e2e_request_latency_seconds");
    /** Weight of the newest interval's mean. */
    private static final double SMOOTHING = 0.5;
    /**
     * A mean with nothing new for this long is forgotten: a backend that was slow and was then avoided gets
     * requests again, and so a chance to show it recovered.
     */
    static final long FORGET_NANOS = 10_000_000_000L;

    private final HistogramMean ttft = new HistogramMean(TTFT);
    private final HistogramMean tpot = new HistogramMean(TPOT);
    private final HistogramMean e2e = new HistogramMean(E2E);

    BackendTelemetry read(String text, long nowNanos) {
        Samples samples = samples(text);
        return new BackendTelemetry(nowNanos, first(samples.sums(), WAITING), first(samples.sums(), RUNNING),
                first(samples.maxes(), KV_CACHE), ttft.update(samples, nowNanos),
                tpot.update(samples, nowNanos), e2e.update(samples, nowNanos));
    }

    /**
     * The samples of a scrape by metric name, and by name with each one of its labels ({@code name{label=value}}):
     * their sum (queues add up over models and engines) and their largest (a cache's use does not).
     */
    record Samples(Map<String, Double> sums, Map<String, Double> maxes) {
        void add(String key, double value) {
            sums.merge(key, value, Double::sum);
            maxes.merge(key, value, Math::max);
        }
    }

    /** The samples of a scrape; histogram buckets are skipped. */
    static Samples samples(String text) {
        Samples samples = new Samples(new HashMap<>(), new HashMap<>());
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.charAt(0) == '#') {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.indexOf(' ');
            int nameEnd = brace >= 0 && (space < 0 || brace < space) ? brace : space;
            if (nameEnd <= 0) {
                continue;
            }
            String name = line.substring(0, nameEnd);
            if (name.endsWith("_bucket")) {
                continue;
            }
            int labelsEnd = brace == nameEnd ? line.indexOf('}', brace) : -1;
            int valueStart = (labelsEnd >= 0 ? labelsEnd + 1 : nameEnd);
            String rest = line.substring(valueStart).trim();
            int end = rest.indexOf(' ');
            double value;
            try {
                value = Double.parseDouble(end < 0 ? rest : rest.substring(0, end));
            } catch (NumberFormatException e) {
                continue;
            }
            samples.add(name, value);
            if (labelsEnd >= 0) {
                for (String label : line.substring(brace + 1, labelsEnd).split(",")) {
                    int eq = label.indexOf('=');
                    if (eq > 0) {
                        String labelValue = label.substring(eq + 1).trim().replace("\"", "");
                        samples.add(name + "{" + label.substring(0, eq).trim() + "=" + labelValue + "}", value);
                    }
                }
            }
        }
        return samples;
    }

    private static double first(Map<String, Double> samples, List<String> names) {
        for (String name : names) {
            Double value = samples.get(name);
            if (value != null) {
                return value;
            }
        }
        return Double.NaN;
    }

    /** The smoothed mean of a histogram over the observations added between scrapes. */
    private static final class HistogramMean {
        private final List<String> names;
        private double lastSum = Double.NaN;
        private double lastCount = Double.NaN;
        private double mean = Double.NaN;
        private long updatedNanos;

        HistogramMean(List<String> names) {
            this.names = names;
        }

        double update(Samples scrape, long nowNanos) {
            Map<String, Double> samples = scrape.sums();
            for (String name : names) {
                Double sum = samples.get(name + "_sum");
                Double count = samples.get(name + "_count");
                if (sum == null || count == null) {
                    continue;
                }
                // the first scrape gives the server's lifetime mean, later ones the mean of what finished since
                double added = Double.isNaN(lastCount) ? count : count - lastCount;
                if (added > 0) {
                    double intervalMean = (Double.isNaN(lastSum) ? sum : sum - lastSum) / added;
                    mean = Double.isNaN(mean) ? intervalMean : SMOOTHING * intervalMean + (1 - SMOOTHING) * mean;
                    updatedNanos = nowNanos;
                } else if (nowNanos - updatedNanos > FORGET_NANOS) {
                    mean = Double.NaN;
                }
                // a restarted server starts its counters again: start over from its new totals
                lastSum = sum;
                lastCount = count;
                return mean;
            }
            return Double.NaN;
        }
    }
}
