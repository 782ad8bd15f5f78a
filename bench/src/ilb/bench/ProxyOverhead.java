package ilb.bench;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * S1: what a proxy costs by itself. One server that answers at once (no time to first token, one output token),
 * tiny non-streamed requests. (a) Saturation: closed loop with 64 users, requests a second through each system.
 * (b) Added latency: open-loop Poisson load at fixed rates, each system's p50 and p99 minus those of the client
 * talking to the server directly at the same rate ((a) and (b) as {@link ProxyCost} measures them). (c) Streaming:
 * time to the first event of streamed responses, against direct. In each part all systems stay up over the same
 * server and take turns, so that they see the same machine. S1b ({@link TlsOverhead}) and S1c ({@link TracingOverhead})
 * run (a) and (b) as they are here ({@link #measure}) with lineups of their own.
 */
final class ProxyOverhead implements Scenario {

    private static final String BASELINE = "haproxy-leastconn";
    /** (a)'s closed loop: requests in flight. */
    static final int USERS = 64;
    /** (b)'s open-loop rates, req/s. */
    static final List<Integer> RATES = List.of(500, 1000, 2000);
    /** The server that answers at once. */
    private static final List<BackendSpec> FLEET = List.of(BackendSpec.instant());
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

    @Override
    public void run(BenchSettings settings, Report report) throws InterruptedException {
        ProxyCost cost = cost("S1", BASELINE, RATES, settings);
        report.note(setup() + " ilb's pool writes capacity 4096; hedging is on unless `hedgeAfter=0` (none fires "
                + "here: every answer comes at once). " + cost.method());
        measure(cost, Lineups.PROXY_OVERHEAD, settings, report, systems -> { });

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

    /** (a) and (b) as S1 measures them, ratios to {@code baseline}'s, at {@code rates} req/s. */
    static ProxyCost cost(String scenario, String baseline, List<Integer> rates, BenchSettings settings) {
        return new ProxyCost(scenario, baseline, "req", "req/s", USERS, USERS + " users", rates, settings);
    }

    /** What (a) and (b) run on and with, for a report's first note. */
    static String setup() {
        return "One simulated server that answers at once (" + FLEET.get(0) + "), non-streamed chat completions with "
                + "`max_tokens` 1. Client, server, ilb and HAProxy share the machine's "
                + Runtime.getRuntime().availableProcessors() + " CPUs.";
    }

    /**
     * (a) and (b) of a lineup over S1's server, reported; {@code afterwards} reads what it needs of the systems (their
     * clients, a trace sink) before they stop.
     */
    static void measure(ProxyCost cost, List<String> lineup, BenchSettings settings, Report report,
            Consumer<SideBySide> afterwards) throws InterruptedException {
        try (SideBySide systems = SideBySide.start(lineup, FLEET, Duration.ofSeconds(10), settings)) {
            Map<String, ProxyCost.Target> targets = new LinkedHashMap<>();
            systems.testbeds().forEach((system, testbed) -> targets.put(system, new ProxyCost.Target(testbed.system(),
                    (intendedNanos, done) -> testbed.client().send(REQUEST, intendedNanos, done))));
            cost.measure(targets);
            cost.report(report, systems.unavailable());
            afterwards.accept(systems);
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
}
