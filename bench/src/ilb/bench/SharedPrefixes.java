package ilb.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

/**
 * S3: requests that share long system prompts, on servers whose prefix cache holds only part of them. Sending each
 * system prompt to the same server keeps it cached there (cheap prefill, short TTFT); spreading them evicts them.
 * The whole working set fits the fleet's caches together, not any one server's.
 */
final class SharedPrefixes implements Scenario {

    private static final String BASELINE = "haproxy-leastconn";
    private static final int SYSTEM_PROMPTS = 24;
    private static final int SYSTEM_WORDS = 1024;
    private static final int USER_WORDS = 32;
    /** The simulator's tokens: both messages' words plus their role names. */
    private static final int PROMPT_TOKENS = SYSTEM_WORDS + USER_WORDS + 2;
    private static final int OUTPUT_TOKENS = 16;
    private static final int KV_CACHE_TOKENS = 12_288;
    private static final double LOAD = 0.6;
    private static final List<BackendSpec> FLEET = Collections.nCopies(4,
            BackendSpec.gpu().withLatency(20, 0.2, 10).withKvCacheTokens(KV_CACHE_TOKENS));

    private final List<String> systemPrompts = new ArrayList<>();

    SharedPrefixes() {
        SplittableRandom random = new SplittableRandom(24);
        for (int i = 0; i < SYSTEM_PROMPTS; i++) {
            systemPrompts.add(Words.random(random, SYSTEM_WORDS));
        }
    }

    @Override
    public String id() {
        return "s3-shared-prefixes";
    }

    @Override
    public String title() {
        return "S3 shared prefixes";
    }

    /** One system's run. */
    private record Run(String system, Latencies latencies, double hitRate) {
    }

    @Override
    public void run(BenchSettings settings, Report report) throws InterruptedException {
        Duration warmUp = settings.pick(Duration.ofSeconds(1), Duration.ofSeconds(5));
        Duration phase = settings.pick(Duration.ofSeconds(3), Duration.ofSeconds(20));
        double capacity = FLEET.stream().mapToDouble(s -> s.requestsPerSecond(PROMPT_TOKENS, OUTPUT_TOKENS)).sum();
        double rate = LOAD * capacity;
        report.note(String.format("Fleet: 4 × (%s). Each request: one of %d system prompts of %d words, drawn "
                + "uniformly, then a unique %d-word user message; %d prompt tokens, `max_tokens` %d, streamed. A "
                + "system prompt takes %d cache blocks of 16 tokens; one server's cache holds %d of them (at most "
                + "%d of the %d prompts), the fleet's all of them. Capacity with nothing cached: %.1f req/s "
                + "(%.0f ms a request); load %.0f %% of it = **%.1f req/s**, open-loop Poisson; %d s warm-up, then %d s "
                + "measured. Hit rate = Δ `vllm:prefix_cache_hits_total` / Δ `vllm:prefix_cache_queries_total` (prompt "
                + "tokens) over the measured phase, summed over every server's /metrics; the best possible is "
                + "%d/%d = %.1f %% (the user message is never cached).",
                FLEET.get(0), SYSTEM_PROMPTS, SYSTEM_WORDS, USER_WORDS, PROMPT_TOKENS, OUTPUT_TOKENS, SYSTEM_WORDS / 16,
                KV_CACHE_TOKENS / 16, KV_CACHE_TOKENS / SYSTEM_WORDS, SYSTEM_PROMPTS, capacity,
                FLEET.get(0).serviceMillis(PROMPT_TOKENS, OUTPUT_TOKENS), LOAD * 100, rate, warmUp.toSeconds(),
                phase.toSeconds(), SYSTEM_WORDS, PROMPT_TOKENS, 100.0 * SYSTEM_WORDS / PROMPT_TOKENS));

        List<Run> runs = new ArrayList<>();
        Map<String, String> unavailable = new LinkedHashMap<>();
        for (String system : Lineups.SHARED_PREFIXES) {
            try (Testbed testbed = Testbed.start(system, FLEET, Duration.ofSeconds(15), settings)) {
                Fleet fleet = testbed.fleet();
                AtomicReference<Fleet.CacheCounters> before = new AtomicReference<>();
                Latencies latencies = testbed.run(this::request, rate, warmUp, phase, 1,
                        new Testbed.Event(Duration.ZERO, () -> before.set(fleet.prefixCache()))).latencies();
                runs.add(new Run(system, latencies, fleet.prefixCache().minus(before.get()).hitRate()));
            } catch (SystemUnavailable e) {
                unavailable.put(system, Scenario.unavailable(e));
            }
        }

        Run baseline = runs.stream().filter(r -> r.system().equals(BASELINE)).findFirst().orElse(null);
        Table table = new Table("prefix-cache hit rate and latency (ms)")
                .column("system").column("hit rate %", "%.1f").column("TTFT p50", "%.1f").column("TTFT p99", "%.1f")
                .column("e2e p50", "%.1f").column("e2e p99", "%.1f").column("hit rate vs " + BASELINE, "%.2f")
                .column("TTFT p50 vs " + BASELINE, "%.2f").column("errors");
        Map<String, Map<String, Double>> hitRates = new LinkedHashMap<>();
        Map<String, Map<String, Double>> ttft = new LinkedHashMap<>();
        for (Run run : runs) {
            Latencies l = run.latencies();
            table.row(run.system(), 100 * run.hitRate(), l.ttftMillis(50), l.ttftMillis(99), l.e2eMillis(50),
                    l.e2eMillis(99), baseline == null ? null : Scenario.ratio(run.hitRate(), baseline.hitRate()),
                    baseline == null ? null : Scenario.ratio(l.ttftMillis(50), baseline.latencies().ttftMillis(50)),
                    l.errors());
            hitRates.computeIfAbsent("hit rate", x -> new LinkedHashMap<>()).put(run.system(), 100 * run.hitRate());
            ttft.computeIfAbsent("TTFT p50", x -> new LinkedHashMap<>()).put(run.system(), l.ttftMillis(50));
        }
        unavailable.forEach((system, reason) -> table.row(system + " (" + reason + ")", null, null, null, null, null,
                null, null, null));
        report.table(table);

        var hits = report.chartFile("hit-rate");
        Charts.bars(hits, "S3: fleet prefix-cache hit rate (prompt tokens)", "%", hitRates);
        report.chart(hits, "prefix-cache hit rate per system");
        var ttftChart = report.chartFile("ttft-p50");
        Charts.bars(ttftChart, "S3: median time to first token", "ms", ttft);
        report.chart(ttftChart, "median TTFT per system");
    }

    /** A chat of a system prompt and a user message, both drawn from the request's index. */
    private ChatRequest request(long index) {
        SplittableRandom random = new SplittableRandom(index);
        return ChatRequest.of(List.of(
                new ChatRequest.Message("system", systemPrompts.get(random.nextInt(SYSTEM_PROMPTS))),
                new ChatRequest.Message("user", Words.random(random, USER_WORDS))), OUTPUT_TOKENS, true);
    }
}
