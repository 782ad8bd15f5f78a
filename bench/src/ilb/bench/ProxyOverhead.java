package ilb.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * S1: what a proxy costs by itself. One server that answers at once (no time to first token, one output token),
 * tiny non-streamed requests. (a) Saturation: closed loop with 64 users, requests a second through each system.
 * (b) Added latency: open-loop Poisson load at fixed rates, each system's p50 and p99 minus those of the client
 * talking to the server directly at the same rate. (c) Streaming: time to the first event of streamed responses,
 * against direct. In each part all systems stay up over the same server and take turns, so that they see the same
 * machine.
 */
final class ProxyOverhead implements Scenario {

    private static final String BASELINE = "haproxy-leastconn";
    private static final int USERS = 64;
    private static final ChatRequest REQUEST = ChatRequest.user("hi", 1, false);
    /** (c): a server that streams, with room for every request at once, and long streams. */
    private static final BackendSpec STREAMING = BackendSpec.instant().withLatency(30, 0, 10);
    private static final ChatRequest STREAM = ChatRequest.user("tell a story", 40, true);
    private static final int STREAM_RATE = 50;
    private static final int STREAM_USERS = 256;

    @Override
    public String id() {
        return "s1-proxy-overhead";
    }

    @Override
    public String title() {
        return "S1 proxy overhead";
    }

    /** A measurement of one system, and the CPU its own process used meanwhile, per request. */
    private record Measured<T>(T result, double cpuMicrosPerRequest) {
    }

    @Override
    public void run(BenchSettings settings, Report report) throws InterruptedException {
        List<Integer> rates = settings.pick(List.of(500, 2000), List.of(500, 1000, 2000));
        Duration warmUp = settings.pick(Duration.ofSeconds(1), Duration.ofSeconds(5));
        Duration saturation = settings.pick(Duration.ofSeconds(2), Duration.ofSeconds(10));
        Duration phase = settings.pick(Duration.ofSeconds(1), Duration.ofSeconds(10));
        List<BackendSpec> fleetSpecs = List.of(BackendSpec.instant());
        report.note("One simulated server that answers at once (" + fleetSpecs.get(0) + "), non-streamed chat "
                + "completions with `max_tokens` 1. Client, server, ilb and HAProxy share the machine's "
                + Runtime.getRuntime().availableProcessors() + " CPUs. Each system gets " + warmUp.toSeconds()
                + " s of warm-up (closed loop), then (a) " + saturation.toSeconds() + " s closed loop with " + USERS
                + " users, then (b) " + phase.toSeconds() + " s of open-loop Poisson load at each rate " + rates
                + " req/s, the systems taking turns at each rate. ilb: `least-request`, capacity 4096. `CPU µs/req` "
                + "is the CPU time of the proxy's own process (all threads) per request.");

        Map<String, Measured<ClosedLoopLoad.Result>> saturated = new LinkedHashMap<>();
        Map<String, Map<Integer, Measured<LatencyRecorder>>> byRate = new LinkedHashMap<>();
        Map<String, String> unavailable;
        try (SideBySide systems = SideBySide.start(Lineups.PROXY_OVERHEAD, List.of(BackendSpec.instant()),
                Duration.ofSeconds(10), settings)) {
            unavailable = systems.unavailable();
            for (var entry : systems.testbeds().entrySet()) {
                saturated.put(entry.getKey(), saturate(entry.getValue(), warmUp, saturation));
            }
            for (int rate : rates) {
                for (var entry : systems.testbeds().entrySet()) {
                    byRate.computeIfAbsent(entry.getKey(), s -> new LinkedHashMap<>())
                            .put(rate, openLoop(entry.getValue(), rate, phase));
                }
            }
        }
        saturationTable(report, saturated, unavailable);
        latencyTables(report, rates, phase, byRate, unavailable);

        Duration streamWarmUp = settings.pick(Duration.ofSeconds(1), Duration.ofSeconds(5));
        Duration streamPhase = settings.pick(Duration.ofSeconds(2), Duration.ofSeconds(8));
        report.note("(c) Streaming: does each proxy pass a stream's first event on at once? A server with "
                + STREAMING.ttftMs() + " ms to the first token and " + STREAMING.itlMs() + " ms between tokens, "
                + "streamed requests of " + STREAM.maxTokens() + " tokens (" + (int) STREAMING.serviceMillis(4,
                STREAM.maxTokens()) + " ms streams); each system gets " + streamWarmUp.toSeconds() + " s of closed-loop "
                + "warm-up with " + STREAM_USERS + " users, then " + streamPhase.toSeconds() + " s of open-loop load at "
                + STREAM_RATE + " req/s. HAProxy needs `option http-no-delay` "
                + "here: without it, it forwards data with MSG_MORE while it expects more of the body, and the kernel "
                + "holds a stream's first events until the stream ends or 200 ms pass (63 ms TTFT instead of 32 ms "
                + "for a 60 ms stream, 208 ms for a 430 ms one, measured on this machine).");
        Map<String, Latencies> streams = new LinkedHashMap<>();
        try (SideBySide systems = SideBySide.start(Lineups.PROXY_OVERHEAD, List.of(STREAMING), Duration.ofSeconds(10),
                settings)) {
            for (var entry : systems.testbeds().entrySet()) {
                Testbed testbed = entry.getValue();
                // many streams at once, so that the JIT has compiled the per-event path before it is timed
                new ClosedLoopLoad(testbed.client(), STREAM).run(STREAM_USERS, streamWarmUp);
                streams.put(entry.getKey(), testbed.run(index -> STREAM, STREAM_RATE, Duration.ZERO, streamPhase, 1)
                        .latencies());
            }
            streamTable(report, streams, systems.unavailable());
        }
    }

    /** Closed-loop warm-up, then the measured saturation run. */
    private static Measured<ClosedLoopLoad.Result> saturate(Testbed testbed, Duration warmUp, Duration saturation)
            throws InterruptedException {
        ClosedLoopLoad closedLoop = new ClosedLoopLoad(testbed.client(), REQUEST);
        closedLoop.run(USERS, warmUp);
        Duration cpu = testbed.system().cpuTime();
        ClosedLoopLoad.Result result = closedLoop.run(USERS, saturation);
        return new Measured<>(result, cpuMicros(testbed, cpu, result.ok()));
    }

    private static Measured<LatencyRecorder> openLoop(Testbed testbed, int rate, Duration phase)
            throws InterruptedException {
        Duration cpu = testbed.system().cpuTime();
        LatencyRecorder recorder = testbed.run(index -> REQUEST, rate, Duration.ZERO, phase, rate);
        return new Measured<>(recorder, cpuMicros(testbed, cpu, recorder.latencies().count()));
    }

    private static double cpuMicros(Testbed testbed, Duration before, long requests) {
        return testbed.system().cpuTime().minus(before).toNanos() / 1000.0 / requests;
    }

    private static void saturationTable(Report report, Map<String, Measured<ClosedLoopLoad.Result>> saturated,
            Map<String, String> unavailable) {
        Table table = new Table("(a) saturation throughput, closed loop, " + USERS + " users")
                .column("system").column("req/s", "%.0f").column("errors", "%d").column("vs " + BASELINE, "%.2f")
                .column("CPU µs/req", "%.1f");
        double baseline = saturated.containsKey(BASELINE) ? saturated.get(BASELINE).result().throughput() : Double.NaN;
        saturated.forEach((system, m) -> table.row(system, m.result().throughput(), m.result().errors(),
                Scenario.ratio(m.result().throughput(), baseline),
                system.equals("direct") ? null : m.cpuMicrosPerRequest()));
        unavailable.forEach((system, reason) -> table.row(system + " (" + reason + ")", null, null, null, null));
        report.table(table);
    }

    private static void latencyTables(Report report, List<Integer> rates, Duration phase,
            Map<String, Map<Integer, Measured<LatencyRecorder>>> byRate, Map<String, String> unavailable) {
        Table table = new Table("(b) latency under open-loop load (ms), added = system minus direct at the same rate")
                .column("system").column("rate", "%d").column("sent/s", "%.0f").column("p50", "%.3f")
                .column("p99", "%.3f").column("added p50", "%.3f").column("added p99", "%.3f").column("errors", "%d")
                .column("CPU µs/req", "%.1f").column("generator lag p99", "%.3f");
        Table versus = new Table("(b) added latency as a ratio to " + BASELINE + "'s")
                .column("system").column("rate", "%d").column("added p50 ratio", "%.2f").column("added p99 ratio", "%.2f");
        Map<String, List<double[]>> addedP99 = new LinkedHashMap<>();
        List<String> laggingRates = new ArrayList<>();
        for (int rate : rates) {
            Latencies direct = byRate.containsKey("direct") ? byRate.get("direct").get(rate).result().latencies() : null;
            Latencies baseline = byRate.containsKey(BASELINE) ? byRate.get(BASELINE).get(rate).result().latencies() : null;
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
                if (proxy) {
                    addedP99.computeIfAbsent(system, s -> new ArrayList<>()).add(new double[] {rate, added99});
                }
                if (proxy && !system.equals(BASELINE) && baseline != null) {
                    versus.row(system, rate, Scenario.ratio(added50, added(baseline, direct, 50)),
                            Scenario.ratio(added99, added(baseline, direct, 99)));
                }
                if (!proxy && m.result().sendLagMillis(99) > 1) {
                    laggingRates.add(rate + " req/s");
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
            Charts.lines(png, "S1: p99 latency added to direct, by offered rate", "offered rate (req/s)",
                    "added p99 (ms)", false, addedP99);
            report.chart(png, "added p99 vs rate");
        }
    }

    private static void streamTable(Report report, Map<String, Latencies> streams, Map<String, String> unavailable) {
        Table table = new Table("(c) streamed: time to first token (ms), added = system minus direct")
                .column("system").column("TTFT p50", "%.2f").column("TTFT p99", "%.2f").column("added p50", "%.2f")
                .column("added p99", "%.2f").column("e2e p50", "%.1f").column("errors", "%d");
        Latencies direct = streams.get("direct");
        streams.forEach((system, l) -> {
            boolean proxy = !system.equals("direct") && direct != null;
            table.row(system, l.ttftMillis(50), l.ttftMillis(99),
                    proxy ? l.ttftMillis(50) - direct.ttftMillis(50) : null,
                    proxy ? l.ttftMillis(99) - direct.ttftMillis(99) : null, l.e2eMillis(50), l.errorCount());
        });
        unavailable.forEach((system, reason) -> table.row(system + " (" + reason + ")", null, null, null, null, null,
                null));
        report.table(table);
    }

    /** The system's latency at a percentile minus direct's at the same rate. */
    private static double added(Latencies system, Latencies direct, double percentile) {
        return direct == null ? Double.NaN : system.e2eMillis(percentile) - direct.e2eMillis(percentile);
    }
}
