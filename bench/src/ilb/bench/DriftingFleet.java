package ilb.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * S2c: S2b's fleet and URLs-only pool while a fast server drifts for 30 s, then recovers: (a) it turns 4× slower (its
 * time to first token and per token) with its batch as large as before, (b) its batch halves and it turns 2× slower
 * (the same loss of throughput). ilb, told nothing of the servers, must learn each one's concurrency limit and follow
 * it as it changes: keep it in (a), halve it and restore it in (b). A chart of the learned limits over time (sampled
 * from ilb's Prometheus endpoint), how long the drifting server's limit took to follow each change, and the SLO
 * attainment over the run beside HAProxy's.
 */
final class DriftingFleet implements Scenario {

    private static final String BASELINE = "haproxy-leastconn";
    private static final List<BackendSpec> FLEET = HeterogeneousFleet.FAST_AND_SLOW;
    private static final DistinctChats CHATS = HeterogeneousFleet.CHATS;
    private static final Slo SLO = HeterogeneousFleet.URLS_ONLY_SLO;
    /** Low enough that the fleet copes while b0 is slow (issue 14's load). */
    private static final double LOAD = 0.55;
    private static final List<Drift> DRIFTS = List.of(new Drift("4× slower", 4, 0),
            new Drift("half its batch, 2× slower", 2, 3));
    private static final int DRIFTING = 0;
    private static final Duration SAMPLE_EVERY = Duration.ofMillis(250);
    private static final double TARGET_FOLLOW_SECONDS = 5;

    @Override
    public String id() {
        return "s2c-drifting-fleet";
    }

    @Override
    public String title() {
        return "S2c drifting fleet";
    }

    /** How the drifting server changes: its latencies times {@code slowFactor}, its batch cut to {@code batch}. */
    private record Drift(String what, double slowFactor, int batch) {

        /** The requests a second the server loses while it drifts. */
        double lostRequestsPerSecond(BackendSpec server, DistinctChats chats) {
            double batchShare = batch == 0 ? 1 : (double) batch / server.maxNumSeqs();
            return server.requestsPerSecond(chats.promptTokens(), chats.outputTokens())
                    * (1 - batchShare / slowFactor);
        }
    }

    /** One system's run: its latencies, and the limits it learned (none for HAProxy). */
    private record Run(String system, Latencies latencies, Map<String, List<double[]>> learned, String noneLearned) {
    }

    @Override
    public void run(BenchSettings settings, Report report) throws InterruptedException {
        for (Drift drift : DRIFTS) {
            run(drift, settings, report);
        }
    }

    private void run(Drift drift, BenchSettings settings, Report report) throws InterruptedException {
        // the full timeline: 75 s measured, b0 drifting from 15 s to 45 s; quick runs the same, five times faster
        double scale = settings.pick(0.2, 1.0);
        double driftAt = 15 * scale;
        double recoverAt = 45 * scale;
        double end = 75 * scale;
        // each limit's steady value: the median of its samples over the last 10 s of a phase
        double steadyWindow = 10 * scale;
        Duration warmUp = settings.pick(Duration.ofSeconds(2), Duration.ofSeconds(10));
        Duration timeout = settings.pick(Duration.ofSeconds(4), Duration.ofSeconds(15));
        double capacity = CHATS.capacity(FLEET);
        double rate = LOAD * capacity;
        BackendSpec drifting = FLEET.get(DRIFTING);
        double driftedCapacity = capacity - drift.lostRequestsPerSecond(drifting, CHATS);
        report.note("## b" + DRIFTING + " drifts: " + drift.what());
        report.note(CHATS.describe(FLEET) + String.format(" Open-loop Poisson at %.0f %% of capacity = **%.1f req/s**; "
                + "%d s of warm-up, then %.0f s measured: b%d drifts at %.0f s (**%s**: time to first token and per "
                + "token × %.0f, batch %s) and recovers at %.0f s. While it drifts the fleet can do %.1f req/s (the "
                + "load is %.0f %% of that). A fresh fleet for each system; requests unanswered after %d s count as "
                + "errors. SLO: %s; errors are misses. ilb's pool lists the servers' urls and nothing else.",
                LOAD * 100, rate, warmUp.toSeconds(), end, DRIFTING, driftAt, drift.what(), drift.slowFactor(),
                drift.batch() == 0 ? "as before" : drifting.maxNumSeqs() + " → " + drift.batch(), recoverAt,
                driftedCapacity, 100 * rate / driftedCapacity, timeout.toSeconds(), SLO));

        List<Run> runs = new ArrayList<>();
        Map<String, String> unavailable = new LinkedHashMap<>();
        for (String system : Lineups.DRIFTING_FLEET) {
            try (Testbed testbed = Testbed.start(system, FLEET, timeout, settings)) {
                var faults = testbed.fleet().simulator(DRIFTING).faults();
                String metricsUrl = testbed.system().metricsUrl();
                try (LearnedCapacities learned = metricsUrl == null ? null
                        : new LearnedCapacities(metricsUrl, SAMPLE_EVERY)) {
                    Latencies latencies = testbed.run(CHATS.workload(1), rate, warmUp, Scenario.seconds(end), 1,
                            new Testbed.Event(Duration.ZERO, () -> {
                                if (learned != null) {
                                    learned.start();
                                }
                            }),
                            new Testbed.Event(Scenario.seconds(driftAt),
                                    () -> faults.slowFactor(drift.slowFactor()).batchLimit(drift.batch())),
                            new Testbed.Event(Scenario.seconds(recoverAt), () -> faults.slowFactor(1).batchLimit(0)))
                            .latencies();
                    runs.add(new Run(system, latencies, learned == null ? Map.of() : learned.byBackend(),
                            learned == null ? null : learned.noneLearned()));
                }
            } catch (SystemUnavailable e) {
                unavailable.put(system, Scenario.unavailable(e));
            }
        }

        double[][] windows = {{0, driftAt}, {driftAt, recoverAt}, {recoverAt, end}};
        Table slo = new Table("SLO attainment, latency (ms) and errors (" + drift.what() + ")").column("system")
                .column("requests", "%d").column("SLO % (run)", "%.1f").column("SLO % before", "%.1f")
                .column("SLO % while drifting", "%.1f").column("SLO % after", "%.1f").column("TTFT p99", "%.0f")
                .column("e2e p99", "%.0f").column("errors");
        for (Run run : runs) {
            Latencies l = run.latencies();
            List<Object> row = new ArrayList<>(List.of(run.system(), l.count(),
                    SLO.attainment(l, CHATS.outputTokens())));
            for (double[] window : windows) {
                row.add(SLO.attainment(l.window(window[0], window[1]), CHATS.outputTokens()));
            }
            row.addAll(List.of(l.ttftMillis(99), l.e2eMillis(99), l.errors()));
            slo.row(row.toArray());
        }
        unavailable.forEach((system, reason) -> slo.row(system + " (" + reason + ")", null, null, null, null, null,
                null, null, null));
        report.table(slo);

        String b = "b" + DRIFTING;
        Table follow = new Table("the learned limit of " + b + " (" + drift.what() + ")").column("system")
                .column("before", "%.0f").column("while drifting", "%.0f").column("after", "%.0f")
                .column("follow down (s)", "%.2f").column("follow up (s)", "%.2f");
        for (Run run : runs) {
            if (!IlbSpec.names(run.system())) {
                continue;
            }
            List<double[]> points = run.learned().get(b);
            if (points == null) {
                follow.row(run.system() + " (" + run.noneLearned().replace('|', '/') + ")", null, null, null, null,
                        null);
                continue;
            }
            double before = LearnedCapacities.steady(points, driftAt - steadyWindow, driftAt);
            double drifted = LearnedCapacities.steady(points, recoverAt - steadyWindow, recoverAt);
            double after = LearnedCapacities.steady(points, end - steadyWindow, end);
            follow.row(run.system(), before, drifted, after,
                    Math.abs(drifted - before) <= 1 ? Double.NaN
                            : LearnedCapacities.followSeconds(points, driftAt, drifted),
                    Math.abs(after - drifted) <= 1 ? Double.NaN
                            : LearnedCapacities.followSeconds(points, recoverAt, after));
            String name = "learned-capacity-" + (drift.batch() == 0 ? "slower-" : "smaller-batch-")
                    + run.system().replaceAll("[^A-Za-z0-9.-]+", "_");
            var chart = report.chartFile(name);
            Charts.lines(chart, String.format("S2c: learned capacity per backend, %s (b%d %s from %.0f s to %.0f s)",
                    run.system(), DRIFTING, drift.what(), driftAt, recoverAt),
                    "seconds into the measured phase", "learned limit (requests in flight)", false, run.learned());
            report.chart(chart, "learned capacity over time, " + run.system() + ", " + drift.what());
            report.data("learned capacity, " + run.system() + ", " + drift.what() + " (seconds, limit) by backend",
                    run.learned());
        }
        report.table(follow);
        report.note(String.format("Each limit's steady value is the median of its samples (every %d ms from ilb's "
                + "`/observe/metrics`) over the last %.0f s of a phase: before the drift, while drifting, after the "
                + "recovery. *Follow* is the time from a change (%.0f s, %.0f s) to the first sample within ±1 of the "
                + "new steady value; – when the limit did not move by more than 1 (nothing to follow) or never came "
                + "within ±1. Targets (issue 14): the learned limits follow within %.0f s both ways, SLO ≥ 98 %% over "
                + "the run; %s beside it for SLO %%.", SAMPLE_EVERY.toMillis(), steadyWindow, driftAt, recoverAt,
                TARGET_FOLLOW_SECONDS, BASELINE));
    }
}
