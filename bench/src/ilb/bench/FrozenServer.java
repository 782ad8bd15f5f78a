package ilb.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * S4b: one of four fast servers frozen (SIGSTOP) for 8 s under streamed load, then let go on (SIGCONT). A frozen
 * server keeps its port open and the kernel accepts connections, but nothing answers: only a balancer that gives up
 * waiting for a first token (ilb's hedged first token) spares its requests the freeze. Each system runs the same load
 * twice, with the freeze and without, on a fresh fleet each time: errors, p99 and p99 with ÷ without.
 * <p>
 * Streamed, because hedging is about the first token: a stream's first byte comes at its time to first token
 * (15 ms here), so a deadline learned from it is short and a request sent to the frozen server costs about that
 * deadline; the first byte of an answer that is not streamed comes with its last, so its deadline would be a whole
 * answer's time. Streams already under way on the server when it freezes cannot be hedged (their first bytes
 * reached the client) and wait out the freeze whatever the balancer.
 */
final class FrozenServer implements Scenario {

    private static final List<BackendSpec> FLEET = Collections.nCopies(4, BackendSpec.fast());
    private static final DistinctChats CHATS = HeterogeneousFleet.CHATS;
    private static final double LOAD = 0.5;
    private static final int FROZEN = 0;
    private static final double FREEZE_SECONDS = 8;
    private static final double TARGET_RATIO = 1.5;

    @Override
    public String id() {
        return "s4b-frozen-server";
    }

    @Override
    public String title() {
        return "S4b frozen server";
    }

    /** One system's run, with the freeze or without. */
    private record Run(String system, boolean frozen, Latencies latencies) {
    }

    /** A run's load and times, in seconds into its measured phase. */
    private record Timeline(double rate, Duration warmUp, double freezeAt, double thawAt, double end) {
    }

    @Override
    public void run(BenchSettings settings, Report report) throws InterruptedException {
        // full: 30 s measured, b0 frozen from 10 s to 18 s; quick: 14 s measured, the same freeze from 3 s
        double freezeAt = settings.pick(3.0, 10.0);
        double thawAt = freezeAt + FREEZE_SECONDS;
        double end = settings.pick(14.0, 30.0);
        Duration warmUp = settings.pick(Duration.ofSeconds(2), Duration.ofSeconds(5));
        // longer than the freeze: a stream it holds is slow, not failed
        Duration timeout = Duration.ofSeconds(15);
        double capacity = CHATS.capacity(FLEET);
        double rate = LOAD * capacity;
        double withoutFrozen = capacity * (FLEET.size() - 1) / FLEET.size();
        report.note(CHATS.describe(FLEET) + String.format(" Open-loop Poisson at %.0f %% of capacity = **%.1f req/s**; "
                + "%d s of warm-up, then %.0f s measured, b%d (in a JVM of its own) frozen with SIGSTOP at %.0f s and "
                + "let go on with SIGCONT at %.0f s; the other three can do %.1f req/s (the load is %.0f %% of that). "
                + "Every system runs the same requests (same seed) twice: without the freeze and with it, each on a "
                + "fresh fleet. Requests unanswered after %d s count as errors. ilb's pool lists the servers' urls and "
                + "nothing else; HAProxy checks health every second (`fall 2 rise 1`, a check unanswered within 1 s "
                + "fails) and retries (`retry-on conn-failure empty-response response-timeout 503`), but `timeout "
                + "server` is 120 s: it waits for a frozen server's answer.",
                LOAD * 100, rate, warmUp.toSeconds(), end, FROZEN, freezeAt, thawAt, withoutFrozen,
                100 * rate / withoutFrozen, timeout.toSeconds()));

        Timeline timeline = new Timeline(rate, warmUp, freezeAt, thawAt, end);
        List<Run> runs = new ArrayList<>();
        Map<String, String> unavailable = new LinkedHashMap<>();
        for (String system : Lineups.FROZEN_SERVER) {
            try {
                for (boolean frozen : List.of(false, true)) {
                    runs.add(new Run(system, frozen, run(system, frozen, timeline, timeout, settings)));
                }
            } catch (SystemUnavailable e) {
                unavailable.put(system, Scenario.unavailable(e));
            }
        }

        Map<String, Latencies> unfrozen = new LinkedHashMap<>();
        runs.stream().filter(r -> !r.frozen()).forEach(r -> unfrozen.put(r.system(), r.latencies()));
        Table table = new Table("errors and latency (ms), with the freeze and without").column("system")
                .column("run").column("requests", "%d").column("errors", "%d").column("by kind")
                .column("TTFT p99", "%.0f").column("e2e p99", "%.0f").column("e2e p99 ÷ without", "%.2f")
                .column("e2e p99 due while frozen", "%.0f");
        Map<String, List<double[]>> overTime = new LinkedHashMap<>();
        for (Run run : runs) {
            Latencies l = run.latencies();
            Latencies without = unfrozen.get(run.system());
            table.row(run.system(), run.frozen() ? "freeze" : "no freeze", l.count(), l.errorCount(), l.errors(),
                    l.ttftMillis(99), l.e2eMillis(99),
                    run.frozen() && without != null ? Scenario.ratio(l.e2eMillis(99), without.e2eMillis(99)) : null,
                    l.window(freezeAt, thawAt).e2eMillis(99));
            overTime.put(run.system() + (run.frozen() ? " (freeze)" : " (no freeze)"), l.e2eP99PerSecond(end, timeout));
        }
        unavailable.forEach((system, reason) -> table.row(system + " (" + reason + ")", null, null, null, null, null,
                null, null, null));
        report.table(table);
        report.note(String.format("`due while frozen`: the requests due from %.0f s to %.0f s. Percentiles are of all "
                + "requests, a failed one counting as slower than any answer (∞). Target (issue 14): ilb's default "
                + "policy has 0 errors and an e2e p99 with the freeze ≤ %.1f× the same run without; HAProxy "
                + "`leastconn`'s figure beside it.", freezeAt, thawAt, TARGET_RATIO));

        var png = report.chartFile("p99-over-time");
        Charts.lines(png, String.format("S4b: p99 e2e per second (b%d frozen from %.0f s to %.0f s; failed p99 drawn "
                + "at the %d s timeout)", FROZEN, freezeAt, thawAt, timeout.toSeconds()),
                "seconds into the measured phase", "p99 e2e (ms, log scale)", true, overTime);
        report.chart(png, "p99 e2e over time per system, with the freeze and without");
        report.data("p99 e2e per second (ms, failed p99 at the timeout)", overTime);
    }

    /** One run of a system on a fresh fleet whose server b0 runs in a JVM of its own, frozen for a while or not. */
    private static Latencies run(String system, boolean frozen, Timeline timeline, Duration timeout,
            BenchSettings settings) throws SystemUnavailable, InterruptedException {
        try (Fleet fleet = Fleet.start(FLEET, FROZEN, settings);
                Testbed testbed = Testbed.on(fleet, system, timeout, settings)) {
            SimulatorProcess server = fleet.process(FROZEN);
            List<Testbed.Event> events = frozen
                    ? List.of(new Testbed.Event(Scenario.seconds(timeline.freezeAt()), server::freeze),
                            new Testbed.Event(Scenario.seconds(timeline.thawAt()), server::thaw))
                    : List.of();
            return testbed.run(CHATS.workload(1), timeline.rate(), timeline.warmUp(), Scenario.seconds(timeline.end()),
                    1, events.toArray(Testbed.Event[]::new)).latencies();
        }
    }
}
