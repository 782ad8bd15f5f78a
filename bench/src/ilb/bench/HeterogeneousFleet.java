package ilb.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

/**
 * S2: a fleet of fast GPU-like servers (tier 0) and slow CPU-like ones (tier 1) under streamed load at 70 % and 90 %
 * of what the whole fleet can do. What counts is requests that meet the latency objective (TTFT and time per output
 * token), not requests answered: a slow server's answer is often too slow to be worth having.
 */
final class HeterogeneousFleet implements Scenario {

    private static final String BASELINE = "haproxy-leastconn";
    private static final int PROMPT_WORDS = 200;
    /** The simulator's tokens: the words plus the role name. */
    private static final int PROMPT_TOKENS = PROMPT_WORDS + 1;
    private static final int OUTPUT_TOKENS = 64;
    private static final double SLO_TTFT_MS = 500;
    private static final double SLO_TPOT_MS = 50;
    private static final List<BackendSpec> FLEET = List.of(BackendSpec.gpu(), BackendSpec.gpu(), BackendSpec.cpu(),
            BackendSpec.cpu());

    @Override
    public String id() {
        return "s2-heterogeneous-fleet";
    }

    @Override
    public String title() {
        return "S2 heterogeneous fleet";
    }

    @Override
    public void run(BenchSettings settings, Report report) throws InterruptedException {
        List<Double> loads = settings.pick(List.of(0.9), List.of(0.7, 0.9));
        Duration warmUp = settings.pick(Duration.ofSeconds(1), Duration.ofSeconds(3));
        Duration phase = settings.pick(Duration.ofSeconds(3), Duration.ofSeconds(13));
        Duration timeout = settings.pick(Duration.ofSeconds(4), Duration.ofSeconds(15));
        double capacity = FLEET.stream().mapToDouble(s -> s.requestsPerSecond(PROMPT_TOKENS, OUTPUT_TOKENS)).sum();
        StringBuilder servers = new StringBuilder();
        for (BackendSpec spec : FLEET) {
            servers.append(String.format("- %s: %.0f ms a request, %.2f req/s%n", spec,
                    spec.serviceMillis(PROMPT_TOKENS, OUTPUT_TOKENS), spec.requestsPerSecond(PROMPT_TOKENS, OUTPUT_TOKENS)));
        }
        report.note("Fleet (service time = ttft + prefill + (tokens − 1) × itl for a " + PROMPT_TOKENS
                + "-token prompt and " + OUTPUT_TOKENS + " output tokens; req/s = max-num-seqs / service time):\n\n"
                + servers + String.format("%nFleet capacity: **%.1f req/s**. ", capacity)
                + "Streamed chat completions, " + PROMPT_WORDS + "-word prompts (all different), `max_tokens` "
                + OUTPUT_TOKENS + ", open-loop Poisson at " + percentages(loads) + " of capacity; " + warmUp.toSeconds()
                + " s of warm-up and " + phase.toSeconds() + " s measured at each load; requests unanswered after "
                + timeout.toSeconds() + " s count as errors. SLO: TTFT ≤ " + (int) SLO_TTFT_MS + " ms and TPOT = (e2e − "
                + "TTFT) / (tokens − 1) ≤ " + (int) SLO_TPOT_MS + " ms; errors are misses. Goodput = SLO-meeting "
                + "requests per second. ilb gives each server its tier and capacity (= max-num-seqs); HAProxy has no "
                + "spill tier (a `backup` server takes traffic only when all others are down), so the CPU servers are "
                + "ordinary servers to it; `haproxy-leastconn-maxconn` caps each at the same capacity as ilb, the "
                + "excess waiting in HAProxy's queue (`timeout queue 10s`).");

        List<Run> runs = new ArrayList<>();
        Map<String, String> unavailable = new LinkedHashMap<>();
        for (String system : Lineups.HETEROGENEOUS_FLEET) {
            try (Testbed testbed = Testbed.start(system, FLEET, timeout, settings)) {
                Fleet fleet = testbed.fleet();
                for (double load : loads) {
                    long seed = Math.round(load * 100);
                    AtomicReference<long[]> before = new AtomicReference<>();
                    Latencies latencies = testbed.run(index -> request(seed, index), load * capacity, warmUp, phase,
                            seed, new Testbed.Event(Duration.ZERO, () -> before.set(fleet.inferenceRequests())))
                            .latencies();
                    runs.add(new Run(system, load, load * capacity, latencies,
                            tierOneShare(fleet, before.get(), fleet.inferenceRequests())));
                }
            } catch (SystemUnavailable e) {
                unavailable.put(system, Scenario.unavailable(e));
            }
        }

        Map<Double, Double> baselineGoodput = new LinkedHashMap<>();
        runs.stream().filter(r -> r.system().equals(BASELINE))
                .forEach(r -> baselineGoodput.put(r.load(), goodput(r, phase)));
        Table table = new Table("latency (ms), SLO attainment and goodput")
                .column("system").column("load").column("offered req/s", "%.1f").column("TTFT p50", "%.0f")
                .column("TTFT p99", "%.0f").column("e2e p50", "%.0f").column("e2e p99", "%.0f").column("SLO %", "%.1f")
                .column("goodput req/s", "%.1f").column("goodput vs " + BASELINE, "%.2f").column("tier-1 share %", "%.1f")
                .column("errors");
        Map<String, Map<String, Double>> attainment = new LinkedHashMap<>();
        Map<String, Map<String, Double>> e2eP99 = new LinkedHashMap<>();
        for (Run run : runs) {
            Latencies l = run.latencies();
            String load = percentages(List.of(run.load()));
            double slo = 100.0 * l.count(this::meetsSlo) / l.count();
            table.row(run.system(), load, run.rate(), l.ttftMillis(50), l.ttftMillis(99), l.e2eMillis(50),
                    l.e2eMillis(99), slo, goodput(run, phase),
                    Scenario.ratio(goodput(run, phase), baselineGoodput.getOrDefault(run.load(), Double.NaN)),
                    run.tierOneShare(), l.errors());
            attainment.computeIfAbsent(load, x -> new LinkedHashMap<>()).put(run.system(), slo);
            // a p99 that is a failed request is drawn at the timeout
            e2eP99.computeIfAbsent(load, x -> new LinkedHashMap<>()).put(run.system(),
                    Math.min(l.e2eMillis(99), timeout.toMillis()));
        }
        unavailable.forEach((system, reason) -> table.row(system + " (" + reason + ")", null, null, null, null, null,
                null, null, null, null, null, null));
        report.table(table);
        report.note("`tier-1 share`: the share of the measured requests that the CPU servers received (what ilb "
                + "spilled to tier 1; for HAProxy, what its balancing gave them).");

        var slo = report.chartFile("slo-attainment");
        Charts.bars(slo, "S2: SLO attainment (TTFT ≤ 500 ms, TPOT ≤ 50 ms)", "% of requests", attainment);
        report.chart(slo, "SLO attainment per system");
        var p99 = report.chartFile("e2e-p99");
        Charts.bars(p99, "S2: p99 end-to-end latency (at " + timeout.toSeconds() + " s: the p99 request failed)", "ms",
                e2eP99);
        report.chart(p99, "p99 e2e per system");
    }

    /** One system at one load. */
    private record Run(String system, double load, double rate, Latencies latencies, double tierOneShare) {
    }

    /**
     * Request {@code index} of the run with that seed: the same for every system, but not repeated across runs (a
     * repeated prompt would be a prefix-cache hit).
     */
    private static ChatRequest request(long seed, long index) {
        return ChatRequest.user(Words.random(new SplittableRandom(seed * 1_000_003 + index), PROMPT_WORDS),
                OUTPUT_TOKENS, true);
    }

    private double goodput(Run run, Duration phase) {
        return run.latencies().count(this::meetsSlo) / (double) phase.toSeconds();
    }

    private boolean meetsSlo(Sample sample) {
        double ttftMs = sample.ttftNanos() / 1e6;
        double tpotMs = (sample.e2eNanos() - sample.ttftNanos()) / 1e6 / (OUTPUT_TOKENS - 1);
        return sample.ok() && ttftMs <= SLO_TTFT_MS && tpotMs <= SLO_TPOT_MS;
    }

    private static double tierOneShare(Fleet fleet, long[] before, long[] after) {
        long total = 0;
        long tierOne = 0;
        for (int i = 0; i < after.length; i++) {
            long served = after[i] - before[i];
            total += served;
            if (fleet.member(i).spec().tier() == 1) {
                tierOne += served;
            }
        }
        return total == 0 ? Double.NaN : 100.0 * tierOne / total;
    }

    private static String percentages(List<Double> loads) {
        return String.join(" and ", loads.stream().map(l -> Math.round(l * 100) + " %").toList());
    }
}
