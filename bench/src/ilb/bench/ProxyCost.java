package ilb.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What a proxy costs by itself, measured the same way whatever the wire (S1 over HTTP, S9 over gRPC), over one server
 * that answers at once. (a) Saturation: closed loop at a fixed concurrency, requests a second through each system.
 * (b) Added latency: open-loop Poisson load at fixed rates, each system's p50 and p99 minus those of the client
 * talking to the server directly ({@code direct}) at the same rate. Beside each, the CPU the proxy's own process used
 * per request; ratios are to the baseline system's. The systems stay up over the same server and take turns, so that
 * they see the same machine.
 */
final class ProxyCost {

    /** A system under test, and the one request the load sends to it, ready to send. */
    record Target(SystemUnderTest system, Sender request) {
    }

    /** A measurement of one system, and the CPU its own process used meanwhile, per request. */
    private record Measured<T>(T result, double cpuMicrosPerRequest) {
    }

    private final String scenario;
    private final String baseline;
    private final String unit;
    private final String rateUnit;
    private final int concurrency;
    private final String concurrent;
    private final Map<String, Measured<ClosedLoopLoad.Result>> saturated = new LinkedHashMap<>();
    private final Map<String, Map<Integer, Measured<LatencyRecorder>>> byRate = new LinkedHashMap<>();
    private final Duration warmUp;
    private final Duration saturation;
    private final List<Integer> rates;
    private final Duration phase;

    /**
     * @param scenario    names the chart ({@code S1})
     * @param baseline    the system the ratios are to
     * @param unit        what one request is called in the tables ({@code req}, {@code call})
     * @param rateUnit    and a rate of them ({@code req/s}, {@code calls/s})
     * @param concurrency requests in flight in the closed loop
     * @param concurrent  what they are, for a table's title ({@code 64 users})
     * @param rates       the open-loop rates of a full run (a quick run: the lowest and the highest)
     * @param settings    a quick run's phases, or a full one's
     */
    ProxyCost(String scenario, String baseline, String unit, String rateUnit, int concurrency, String concurrent,
            List<Integer> rates, BenchSettings settings) {
        this.scenario = scenario;
        this.baseline = baseline;
        this.unit = unit;
        this.rateUnit = rateUnit;
        this.concurrency = concurrency;
        this.concurrent = concurrent;
        this.warmUp = settings.pick(Duration.ofSeconds(1), Duration.ofSeconds(5));
        this.saturation = settings.pick(Duration.ofSeconds(2), Duration.ofSeconds(10));
        this.rates = settings.pick(List.of(rates.get(0), rates.get(rates.size() - 1)).stream().distinct().toList(),
                rates);
        this.phase = settings.pick(Duration.ofSeconds(1), Duration.ofSeconds(10));
    }

    /** How {@link #measure} runs, and what the CPU column means: sentences for the report's note. */
    String method() {
        return "Each system gets " + warmUp.toSeconds() + " s of warm-up (closed loop), then (a) "
                + saturation.toSeconds() + " s closed loop with " + concurrent + ", then (b) " + phase.toSeconds()
                + " s of open-loop Poisson load at each rate " + rates + " " + rateUnit + ", the systems taking turns "
                + "at each rate. `CPU µs/" + unit + "` is the CPU time of the proxy's own process (all threads) per "
                + unit + ".";
    }

    /**
     * Each system in turn: a warm-up closed loop (not recorded), then a closed loop at saturation; then at each rate,
     * each system in turn for a phase of open-loop load.
     */
    void measure(Map<String, Target> targets) throws InterruptedException {
        for (var entry : targets.entrySet()) {
            saturated.put(entry.getKey(), saturate(entry.getValue()));
        }
        for (int rate : rates) {
            for (var entry : targets.entrySet()) {
                byRate.computeIfAbsent(entry.getKey(), s -> new LinkedHashMap<>())
                        .put(rate, openLoop(entry.getValue(), rate));
            }
        }
    }

    /** The tables of (a) and (b), systems that did not start among them with the reason. */
    void report(Report report, Map<String, String> unavailable) {
        saturationTable(report, unavailable);
        latencyTables(report, unavailable);
    }

    /** A system's requests a second at saturation, NaN if it was not measured. */
    double saturationThroughput(String system) {
        return saturated.containsKey(system) ? saturated.get(system).result().throughput() : Double.NaN;
    }

    /** The CPU its own process used per request at saturation, NaN if it was not measured. */
    double saturationCpuMicros(String system) {
        return saturated.containsKey(system) ? saturated.get(system).cpuMicrosPerRequest() : Double.NaN;
    }

    private Measured<ClosedLoopLoad.Result> saturate(Target target)
            throws InterruptedException {
        ClosedLoopLoad closedLoop = new ClosedLoopLoad(target.request());
        closedLoop.run(concurrency, warmUp);
        Duration cpu = target.system().cpuTime();
        ClosedLoopLoad.Result result = closedLoop.run(concurrency, saturation);
        return new Measured<>(result, cpuMicros(target, cpu, result.ok()));
    }

    private Measured<LatencyRecorder> openLoop(Target target, int rate) throws InterruptedException {
        Duration cpu = target.system().cpuTime();
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(10);
        LatencyRecorder recorder = new LatencyRecorder(start);
        // the rate is the seed: every system gets the same arrivals at a rate
        new OpenLoopLoad(index -> target.request()).run(rate, start, start + phase.toNanos(), rate, recorder);
        return new Measured<>(recorder, cpuMicros(target, cpu, recorder.latencies().count()));
    }

    private static double cpuMicros(Target target, Duration before, long requests) {
        return target.system().cpuTime().minus(before).toNanos() / 1000.0 / requests;
    }

    private void saturationTable(Report report, Map<String, String> unavailable) {
        Table table = new Table("(a) saturation throughput, closed loop, " + concurrent)
                .column("system").column(rateUnit, "%.0f").column("errors", "%d").column("vs " + baseline, "%.2f")
                .column("CPU µs/" + unit, "%.1f");
        double base = saturated.containsKey(baseline) ? saturated.get(baseline).result().throughput() : Double.NaN;
        saturated.forEach((system, m) -> table.row(system, m.result().throughput(), m.result().errors(),
                Scenario.ratio(m.result().throughput(), base),
                system.equals("direct") ? null : m.cpuMicrosPerRequest()));
        unavailable.forEach((system, reason) -> table.row(system + " (" + reason + ")", null, null, null, null));
        report.table(table);
    }

    private void latencyTables(Report report, Map<String, String> unavailable) {
        Table table = new Table("(b) latency under open-loop load (ms), added = system minus direct at the same rate")
                .column("system").column("rate", "%d").column("sent/s", "%.0f").column("p50", "%.3f")
                .column("p99", "%.3f").column("added p50", "%.3f").column("added p99", "%.3f").column("errors", "%d")
                .column("CPU µs/" + unit, "%.1f").column("generator lag p99", "%.3f");
        Table versus = new Table("(b) latency as a ratio to " + baseline + "'s")
                .column("system").column("rate", "%d").column("added p50 ratio", "%.2f").column("added p99 ratio", "%.2f")
                .column("p99 ratio", "%.2f");
        Map<String, List<double[]>> addedP99 = new LinkedHashMap<>();
        List<String> laggingRates = new ArrayList<>();
        for (int rate : rates) {
            Latencies direct = byRate.containsKey("direct") ? byRate.get("direct").get(rate).result().latencies() : null;
            Latencies base = byRate.containsKey(baseline) ? byRate.get(baseline).get(rate).result().latencies() : null;
            for (var entry : byRate.entrySet()) {
                String system = entry.getKey();
                Measured<LatencyRecorder> m = entry.getValue().get(rate);
                Latencies run = m.result().latencies();
                boolean proxy = !system.equals("direct");
                double added50 = added(run, direct, 50);
                double added99 = added(run, direct, 99);
                table.row(system, rate, run.count() / (double) phase.toSeconds(), run.e2eMillis(50), run.e2eMillis(99),
                        proxy ? added50 : null, proxy ? added99 : null, run.errorCount(),
                        proxy ? m.cpuMicrosPerRequest() : null, m.result().sendLagMillis(99));
                // a system that failed at a rate (every request late or lost: an infinite p99) is in the table, not the chart
                if (proxy && Double.isFinite(added99)) {
                    addedP99.computeIfAbsent(system, s -> new ArrayList<>()).add(new double[] {rate, added99});
                }
                if (proxy && !system.equals(baseline) && base != null) {
                    versus.row(system, rate, Scenario.ratio(added50, added(base, direct, 50)),
                            Scenario.ratio(added99, added(base, direct, 99)),
                            Scenario.ratio(run.e2eMillis(99), base.e2eMillis(99)));
                }
                if (!proxy && m.result().sendLagMillis(99) > 1) {
                    laggingRates.add(rate + " " + rateUnit);
                }
            }
        }
        unavailable.forEach((system, reason) -> table.row(system + " (" + reason + ")", null, null, null, null, null,
                null, null, null, null));
        report.table(table);
        report.note("`sent/s` is the rate the generator achieved; `generator lag p99` is how late it sent the 99th "
                + "percentile request against its Poisson schedule (latency counts from the scheduled time, so lag "
                + "shows up in every system's numbers, direct included). "
                + (laggingRates.isEmpty() ? "Direct, the generator kept to its schedule within 1 ms at every rate."
                        : "**Direct, the generator fell more than 1 ms behind its schedule (p99) at " + laggingRates
                        + "**: numbers at those rates include the generator's own delay."));
        report.table(versus);
        if (!addedP99.isEmpty()) {
            var png = report.chartFile("added-p99");
            Charts.lines(png, scenario + ": p99 latency added to direct, by offered rate",
                    "offered rate (" + rateUnit + ")", "added p99 (ms)", false, addedP99);
            report.chart(png, "added p99 vs rate");
        }
    }

    /** The system's latency at a percentile minus direct's at the same rate. */
    private static double added(Latencies system, Latencies direct, double percentile) {
        return direct == null ? Double.NaN : system.e2eMillis(percentile) - direct.e2eMillis(percentile);
    }
}
