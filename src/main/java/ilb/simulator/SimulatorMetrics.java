package ilb.simulator;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/** The backend's {@code /metrics}: Prometheus text under vLLM's metric names, so a scraper cannot tell it from vLLM. */
final class SimulatorMetrics {

    private static final double[] SECONDS_BUCKETS = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0,
        2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0};

    private final String model;
    private volatile int running;
    private volatile int waiting;
    private volatile double kvUsage;
    private final LongAdder promptTokens = new LongAdder();
    private final LongAdder generationTokens = new LongAdder();
    private final LongAdder prefixQueries = new LongAdder();
    private final LongAdder prefixHits = new LongAdder();
    private final Map<Integer, LongAdder> responses = new ConcurrentHashMap<>();
    private final Histogram ttft = new Histogram();
    private final Histogram queueTime = new Histogram();
    private final Histogram e2e = new Histogram();
    private final Histogram timePerOutputToken = new Histogram();

    SimulatorMetrics(String model) {
        this.model = model;
    }

    void load(int running, int waiting, double kvUsage) {
        this.running = running;
        this.waiting = waiting;
        this.kvUsage = kvUsage;
    }

    void prefill(int promptTokens, int cachedTokens, long queuedNanos) {
        this.promptTokens.add(promptTokens);
        prefixQueries.add(promptTokens);
        prefixHits.add(cachedTokens);
        queueTime.observe(queuedNanos);
    }

    void firstToken(long nanos) {
        ttft.observe(nanos);
    }

    /** @param tpotNanos mean time per output token after the first, or negative when there was only one */
    void finished(int outputTokens, long e2eNanos, long tpotNanos) {
        generationTokens.add(outputTokens);
        e2e.observe(e2eNanos);
        if (tpotNanos >= 0) {
            timePerOutputToken.observe(tpotNanos);
        }
    }

    void response(int status) {
        responses.computeIfAbsent(status, s -> new LongAdder()).increment();
    }

    int running() {
        return running;
    }

    long prefixHitTokens() {
        return prefixHits.sum();
    }

    String scrape() {
        String labels = "{model_name=\"" + model + "\"}";
        StringBuilder out = new StringBuilder(4096);
        gauge(out, "vllm:num_requests_running", "Number of requests in model execution batches.", labels, running);
        gauge(out, "vllm:num_requests_waiting", "Number of requests waiting to be processed.", labels, waiting);
        gauge(out, "vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", labels, kvUsage);
        counter(out, "vllm:prompt_tokens", "Number of prefill tokens processed.", labels, promptTokens.sum());
        counter(out, "vllm:generation_tokens", "Number of generation tokens processed.", labels, generationTokens.sum());
        counter(out, "vllm:prefix_cache_queries", "Prefix cache queries, in terms of number of queried tokens.", labels,
                prefixQueries.sum());
        counter(out, "vllm:prefix_cache_hits", "Prefix cache hits, in terms of number of cached tokens.", labels,
                prefixHits.sum());
        out.append("# HELP vllm:http_responses Responses sent, by HTTP status.\n# TYPE vllm:http_responses counter\n");
        responses.forEach((status, count) -> out.append("vllm:http_responses_total{model_name=\"").append(model)
                .append("\",status=\"").append(status).append("\"} ").append(count.sum()).append('\n'));
        ttft.write(out, "vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.");
        queueTime.write(out, "vllm:request_queue_time_seconds", "Histogram of time spent in WAITING phase for request.");
        e2e.write(out, "vllm:e2e_request_latency_seconds", "Histogram of end to end request latency in seconds.");
        timePerOutputToken.write(out, "vllm:time_per_output_token_seconds", "Histogram of time per output token in seconds.");
        return out.toString();
    }

    private static void gauge(StringBuilder out, String name, String help, String labels, double value) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n')
                .append("# TYPE ").append(name).append(" gauge\n")
                .append(name).append(labels).append(' ').append(value).append('\n');
    }

    private static void counter(StringBuilder out, String name, String help, String labels, long value) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n')
                .append("# TYPE ").append(name).append(" counter\n")
                .append(name).append("_total").append(labels).append(' ').append(value).append('\n');
    }

    private final class Histogram {
        private final AtomicLongArray buckets = new AtomicLongArray(SECONDS_BUCKETS.length);
        private final LongAdder count = new LongAdder();
        private final LongAdder sumNanos = new LongAdder();

        void observe(long nanos) {
            double seconds = nanos / 1e9;
            for (int i = 0; i < SECONDS_BUCKETS.length; i++) {
                if (seconds <= SECONDS_BUCKETS[i]) {
                    buckets.incrementAndGet(i);
                    break;
                }
            }
            count.increment();
            sumNanos.add(nanos);
        }

        void write(StringBuilder out, String name, String help) {
            out.append("# HELP ").append(name).append(' ').append(help).append('\n')
                    .append("# TYPE ").append(name).append(" histogram\n");
            long cumulative = 0;
            for (int i = 0; i < SECONDS_BUCKETS.length; i++) {
                cumulative += buckets.get(i);
                out.append(name).append("_bucket{model_name=\"").append(model).append("\",le=\"")
                        .append(SECONDS_BUCKETS[i]).append("\"} ").append(cumulative).append('\n');
            }
            out.append(name).append("_bucket{model_name=\"").append(model).append("\",le=\"+Inf\"} ")
                    .append(count.sum()).append('\n')
                    .append(name).append("_sum{model_name=\"").append(model).append("\"} ").append(sumNanos.sum() / 1e9)
                    .append('\n')
                    .append(name).append("_count{model_name=\"").append(model).append("\"} ").append(count.sum())
                    .append('\n');
        }
    }
}
