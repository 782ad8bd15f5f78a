package ilb.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * S2 and S2b: a fleet of fast servers (tier 0) and slow ones (tier 1) under streamed load at 70 % and 90 % of what the
 * whole fleet can do. What counts is requests that meet the latency objective, not requests answered: a slow server's
 * answer is often too slow to be worth having. S2 tells ilb each server's tier and capacity; S2b ({@link #urlsOnly})
 * tells it nothing but the servers' urls, as a new user would write the pool, on issue 14's fleet.
 */
final class HeterogeneousFleet implements Scenario {

    private static final String BASELINE = "haproxy-leastconn";
    /** Issue 14's fleet: two fast servers and two slow ones, each serving vLLM-style {@code /metrics}. */
    static final List<BackendSpec> FAST_AND_SLOW = List.of(BackendSpec.fast(), BackendSpec.fast(), BackendSpec.slow(),
            BackendSpec.slow());
    /** S2's requests, and S2b's and S2c's. */
    static final DistinctChats CHATS = new DistinctChats(200, 64, true);
    /** Issue 14's objective. */
    static final Slo URLS_ONLY_SLO = new Slo(300, Slo.NONE, 1500);

    private final String id;
    private final String title;
    private final List<BackendSpec> fleet;
    private final Slo slo;
    private final List<String> lineup;
    /** What ilb and HAProxy are told of the servers, and the targets if any: the setup's last sentences. */
    private final String told;

    private HeterogeneousFleet(String id, String title, List<BackendSpec> fleet, Slo slo, List<String> lineup,
            String told) {
        this.id = id;
        this.title = title;
        this.fleet = fleet;
        this.slo = slo;
        this.lineup = lineup;
        this.told = told;
    }

    /** S2: GPU-like and CPU-like servers, each given to ilb with its tier and capacity. */
    static HeterogeneousFleet tiered() {
        return new HeterogeneousFleet("s2-heterogeneous-fleet", "S2 heterogeneous fleet", List.of(BackendSpec.gpu(),
                BackendSpec.gpu(), BackendSpec.cpu(), BackendSpec.cpu()), new Slo(500, 50, Slo.NONE),
                Lineups.HETEROGENEOUS_FLEET, "ilb gives each server its tier and capacity (= max-num-seqs); HAProxy "
                + "has no spill tier (a `backup` server takes traffic only when all others are down), so the CPU "
                + "servers are ordinary servers to it; `haproxy-leastconn-maxconn` caps each at the same capacity as "
                + "ilb, the excess waiting in HAProxy's queue (`timeout queue 10s`).");
    }

    /** S2b: issue 14's fleet, ilb's pool listing only the servers' urls. */
    static HeterogeneousFleet urlsOnly() {
        return new HeterogeneousFleet("s2b-urls-only", "S2b URLs only", FAST_AND_SLOW, URLS_ONLY_SLO,
                Lineups.URLS_ONLY, "ilb's pool lists the servers' urls and nothing else (no capacity, tier, weight, "
                + "hardware or health interval): it must find out by itself which servers are fast and how many "
                + "requests each takes at once. `tier-1 share` is then the slow servers' share. Targets (issue 14): "
                + "ilb's default policy (`predicted-latency`) meets the SLO on ≥ 99 % of requests and its e2e p99 is "
                + "≤ 0.5× `" + BASELINE + "`'s, at both loads.");
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String title() {
        return title;
    }

    @Override
    public void run(BenchSettings settings, Report report) throws InterruptedException {
        List<Double> loads = settings.pick(List.of(0.9), List.of(0.7, 0.9));
        Duration warmUp = settings.pick(Duration.ofSeconds(1), Duration.ofSeconds(3));
        Duration phase = settings.pick(Duration.ofSeconds(3), Duration.ofSeconds(13));
        Duration timeout = settings.pick(Duration.ofSeconds(4), Duration.ofSeconds(15));
        double capacity = CHATS.capacity(fleet);
        report.note(CHATS.describe(fleet) + " Open-loop Poisson at " + percentages(loads) + " of capacity; "
                + warmUp.toSeconds() + " s of warm-up and " + phase.toSeconds() + " s measured at each load, a fresh "
                + "fleet for each system; requests unanswered after " + timeout.toSeconds() + " s count as errors. "
                + "SLO: " + slo + (slo.tpotMs() < Slo.NONE ? " (TPOT = (e2e − TTFT) / (tokens − 1))" : "")
                + "; errors are misses. Goodput = SLO-meeting requests per second. " + told);

        List<Run> runs = new ArrayList<>();
        Map<String, String> unavailable = new LinkedHashMap<>();
        for (String system : lineup) {
            try (Testbed testbed = Testbed.start(system, fleet, timeout, settings)) {
                Fleet servers = testbed.fleet();
                for (double load : loads) {
                    long seed = Math.round(load * 100);
                    AtomicReference<long[]> before = new AtomicReference<>();
                    Latencies latencies = testbed.run(CHATS.workload(seed), load * capacity, warmUp, phase, seed,
                            new Testbed.Event(Duration.ZERO, () -> before.set(servers.inferenceRequests())))
                            .latencies();
                    runs.add(new Run(system, load, load * capacity, latencies,
                            tierOneShare(servers, before.get(), servers.inferenceRequests())));
                }
            } catch (SystemUnavailable e) {
                unavailable.put(system, Scenario.unavailable(e));
            }
        }

        Map<Double, Run> baseline = new LinkedHashMap<>();
        runs.stream().filter(r -> r.system().equals(BASELINE)).forEach(r -> baseline.put(r.load(), r));
        Table table = new Table("latency (ms), SLO attainment and goodput")
                .column("system").column("load").column("offered req/s", "%.1f").column("TTFT p50", "%.0f")
                .column("TTFT p99", "%.0f").column("e2e p50", "%.0f").column("e2e p99", "%.0f")
                .column("e2e p99 vs " + BASELINE, "%.2f").column("SLO %", "%.1f").column("goodput req/s", "%.1f")
                .column("goodput vs " + BASELINE, "%.2f").column("tier-1 share %", "%.1f").column("errors");
        Map<String, Map<String, Double>> attainment = new LinkedHashMap<>();
        Map<String, Map<String, Double>> e2eP99 = new LinkedHashMap<>();
        for (Run run : runs) {
            Latencies l = run.latencies();
            Run base = baseline.get(run.load());
            String load = percentages(List.of(run.load()));
            double met = slo.attainment(l, CHATS.outputTokens());
            table.row(run.system(), load, run.rate(), l.ttftMillis(50), l.ttftMillis(99), l.e2eMillis(50),
                    l.e2eMillis(99), base == null ? null : Scenario.ratio(l.e2eMillis(99), base.latencies().e2eMillis(99)),
                    met, goodput(run, phase), base == null ? null : Scenario.ratio(goodput(run, phase), goodput(base, phase)),
                    run.tierOneShare(), l.errors());
            attainment.computeIfAbsent(load, x -> new LinkedHashMap<>()).put(run.system(), met);
            // a p99 that is a failed request is drawn at the timeout
            e2eP99.computeIfAbsent(load, x -> new LinkedHashMap<>()).put(run.system(),
                    Math.min(l.e2eMillis(99), timeout.toMillis()));
        }
        unavailable.forEach((system, reason) -> table.row(system + " (" + reason + ")", null, null, null, null, null,
                null, null, null, null, null, null, null));
        report.table(table);
        report.note("`tier-1 share`: the share of the measured requests that the tier-1 servers received (what ilb "
                + "spilled to tier 1, or sent there by its own choice; for HAProxy, what its balancing gave them). "
                + "A ratio to " + BASELINE + "'s p99: ∞ if this system's p99 is a failed request, – if "
                + BASELINE + "'s is.");

        var chart = report.chartFile("slo-attainment");
        Charts.bars(chart, title + ": SLO attainment (" + slo + ")", "% of requests", attainment);
        report.chart(chart, "SLO attainment per system");
        var p99 = report.chartFile("e2e-p99");
        Charts.bars(p99, title + ": p99 end-to-end latency (at " + timeout.toSeconds()
                + " s: the p99 request failed)", "ms", e2eP99);
        report.chart(p99, "p99 e2e per system");
    }

    /** One system at one load. */
    private record Run(String system, double load, double rate, Latencies latencies, double tierOneShare) {
    }

    private double goodput(Run run, Duration phase) {
        return run.latencies().count(s -> slo.met(s, CHATS.outputTokens())) / (double) phase.toSeconds();
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

    static String percentages(List<Double> loads) {
        return String.join(" and ", loads.stream().map(l -> Math.round(l * 100) + " %").toList());
    }
}
