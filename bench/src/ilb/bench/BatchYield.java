package ilb.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * S5: batch jobs over Kafka beside interactive traffic. (a) Interactive streamed load at half the fleet's capacity,
 * alone, then beside a backlog of batch jobs that yields (batch priority: only spare capacity, never while
 * interactive requests wait), then beside the same backlog submitted as interactive (no yielding). What the backlog
 * costs interactive requests, as p99 ratios to the run without it, and how much of the spare capacity it uses. (b)
 * Batch jobs alone through 1 and 3 servers: jobs a second against what the servers could do.
 * <p>
 * Each run has its own fleet and its own ilb, with batch on and its embedded Kafka broker (fresh data); the bench
 * submits jobs to {@code ilb.requests} and reads {@code ilb.results} as a client of that broker would.
 */
final class BatchYield implements Scenario {

    private static final int PROMPT_WORDS = 200;
    /** The simulator's tokens: the words plus the role name. */
    private static final int PROMPT_TOKENS = PROMPT_WORDS + 1;
    private static final int OUTPUT_TOKENS = 64;
    private static final int JOB_WORDS = 100;
    private static final int JOB_TOKENS = JOB_WORDS + 1;
    private static final int JOB_OUTPUT_TOKENS = 80;
    private static final int SMALL_JOB_WORDS = 20;
    private static final int SMALL_JOB_TOKENS = SMALL_JOB_WORDS + 1;
    private static final int SMALL_JOB_OUTPUT_TOKENS = 16;
    private static final double LOAD = 0.5;
    /** A backlog this many times what the spare capacity could do in warm-up and phase: it must outlast them. */
    private static final double BACKLOG_FACTOR = 2;
    /** ilb's default {@code ilb.balancer.batchReserve}: the share of each server batch jobs leave to interactive ones. */
    private static final double BATCH_RESERVE = 0.25;
    private static final double SLO_TTFT_MS = 500;
    private static final double SLO_TPOT_MS = 50;
    private static final List<BackendSpec> FLEET = Collections.nCopies(2, BackendSpec.gpu());
    private static final List<Integer> THROUGHPUT_FLEETS = List.of(1, 3);
    /** Results of part (b) are counted per bucket of this many milliseconds after the first submit, for its chart. */
    private static final int BUCKET_MILLIS = 250;

    /** What runs beside the interactive load in part (a). */
    private enum Mode {
        NONE("interactive only"), YIELDS("with batch (yields)"), AS_INTERACTIVE("with batch as interactive");

        final String label;

        Mode(String label) {
            this.label = label;
        }
    }

    @Override
    public String id() {
        return "s5-batch";
    }

    @Override
    public String title() {
        return "S5 batch jobs beside interactive traffic";
    }

    /** One run of part (a). */
    private record YieldRun(String system, Mode mode, int backlog, Latencies latencies, long batchDone,
            long batchDoneByEnd, long deadLetters, double ilbCpuShare, List<double[]> batchPerSecond) {
    }

    /** One run of part (b). */
    private record ThroughputRun(String system, int backends, int jobs, long done, double seconds, long deadLetters,
            long duplicates, double ilbCpuMillisPerJob, List<double[]> overTime) {
    }

    @Override
    public void run(BenchSettings settings, Report report) throws InterruptedException {
        Duration warmUp = settings.pick(Duration.ofSeconds(3), Duration.ofSeconds(10));
        Duration phase = settings.pick(Duration.ofSeconds(10), Duration.ofSeconds(50));
        Duration timeout = Duration.ofSeconds(15);
        int throughputJobs = settings.pick(300, 2_000);
        int throughputWarmUp = settings.pick(50, 200);
        BackendSpec gpu = FLEET.get(0);
        double interactiveMillis = gpu.serviceMillis(PROMPT_TOKENS, OUTPUT_TOKENS);
        double jobMillis = gpu.serviceMillis(JOB_TOKENS, JOB_OUTPUT_TOKENS);
        double smallJobMillis = gpu.serviceMillis(SMALL_JOB_TOKENS, SMALL_JOB_OUTPUT_TOKENS);
        int slots = FLEET.stream().mapToInt(BackendSpec::maxNumSeqs).sum();
        double capacity = FLEET.stream().mapToDouble(s -> s.requestsPerSecond(PROMPT_TOKENS, OUTPUT_TOKENS)).sum();
        double rate = LOAD * capacity;
        // the sequence slots interactive requests leave free, in batch jobs a second
        double spareJobsPerSecond = (1 - LOAD) * slots * 1000 / jobMillis;
        int backlog = (int) Math.ceil(BACKLOG_FACTOR * spareJobsPerSecond * (warmUp.toSeconds() + phase.toSeconds()));
        report.note(String.format("**(a) Yield.** Fleet: %d × (%s). Interactive: streamed chat completions, %d-word "
                + "prompts (all different), `max_tokens` %d: %.0f ms a request (service time = ttft + prefill + "
                + "(tokens − 1) × itl), fleet capacity %.1f req/s (max-num-seqs / service time); open-loop Poisson at "
                + "%.0f %% of it = **%.1f req/s**, %d s warm-up, %d s measured; unanswered after %d s = error. Batch "
                + "job: %d-word prompt, `max_tokens` %d, not streamed: %.0f ms. The slots interactive load leaves free "
                + "could do %.1f jobs/s; the backlog, submitted just before the warm-up, is %.0f× that for warm-up and "
                + "phase = **%d jobs**. Runs, each with a fresh fleet and a fresh ilb with batch on (its embedded "
                + "broker running in all three, idle in the first): **%s** (baseline), **%s** (batch priority: a job "
                + "goes only to a server below %.0f %% of its capacity whose own queue is empty, never while "
                + "interactive requests wait in the pool's queue; else it is deferred), **%s** (the same backlog with "
                + "header `ilb-priority: interactive`: no yielding, jobs wait in the pool's queue beside "
                + "interactive requests). ilb policy and capacity per server as in S2 (capacity = max-num-seqs), "
                + "`ilb.batch.maxInFlight` 64, other batch settings ilb's defaults. SLO as S2: TTFT ≤ %.0f ms and "
                + "TPOT ≤ %.0f ms.",
                FLEET.size(), gpu, PROMPT_WORDS, OUTPUT_TOKENS, interactiveMillis, capacity, LOAD * 100, rate,
                warmUp.toSeconds(), phase.toSeconds(), timeout.toSeconds(), JOB_WORDS, JOB_OUTPUT_TOKENS, jobMillis,
                spareJobsPerSecond, BACKLOG_FACTOR, backlog, Mode.NONE.label, Mode.YIELDS.label,
                (1 - BATCH_RESERVE) * 100, Mode.AS_INTERACTIVE.label, SLO_TTFT_MS, SLO_TPOT_MS));

        List<YieldRun> yieldRuns = new ArrayList<>();
        List<ThroughputRun> throughputRuns = new ArrayList<>();
        Map<String, String> unavailable = new LinkedHashMap<>();
        for (String system : Lineups.BATCH) {
            try {
                for (Mode mode : Mode.values()) {
                    yieldRuns.add(yieldRun(system, mode, mode == Mode.NONE ? 0 : backlog, rate, warmUp, phase,
                            timeout, settings));
                }
                for (int backends : THROUGHPUT_FLEETS) {
                    throughputRuns.add(throughputRun(system, backends, throughputWarmUp, throughputJobs, settings));
                }
            } catch (SystemUnavailable e) {
                unavailable.put(system, Scenario.unavailable(e));
            }
        }

        reportYield(report, yieldRuns, unavailable, phase, timeout, slots, interactiveMillis, jobMillis);
        reportThroughput(report, throughputRuns, throughputJobs, throughputWarmUp, gpu, smallJobMillis);
    }

    private YieldRun yieldRun(String system, Mode mode, int backlog, double rate, Duration warmUp, Duration phase,
            Duration timeout, BenchSettings settings) throws SystemUnavailable, InterruptedException {
        long begin = System.nanoTime();
        try (Fleet fleet = Fleet.start(FLEET);
                IlbProcess.WithBatch ilb = startIlb(system, fleet, settings, "yield-" + mode.name().toLowerCase());
                BatchJobs.Watch results = BatchJobs.watch(ilb.kafka());
                LoadClient client = new LoadClient(ilb.ilb().baseUrl(), timeout)) {
            System.out.printf("  %s, %s: ready in %.1f s%n", system, mode.label, (System.nanoTime() - begin) / 1e9);
            if (backlog > 0) {
                BatchJobs.submit(ilb.kafka(), "job", backlog, BatchYield::job, mode == Mode.AS_INTERACTIVE);
            }
            long nanos = System.nanoTime();
            long millis = System.currentTimeMillis();
            long start = nanos + TimeUnit.MILLISECONDS.toNanos(10);
            long measuredStart = start + warmUp.toNanos();
            long measuredEnd = measuredStart + phase.toNanos();
            long startMillis = millis + TimeUnit.NANOSECONDS.toMillis(measuredStart - nanos);
            long endMillis = startMillis + phase.toMillis();
            AtomicReference<Duration> cpuAtStart = new AtomicReference<>();
            AtomicReference<Duration> cpuAtEnd = new AtomicReference<>();
            LatencyRecorder recorder = new LatencyRecorder(measuredStart);
            ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
            try {
                timer.schedule(() -> cpuAtStart.set(ilb.ilb().cpuTime()), measuredStart - System.nanoTime(),
                        TimeUnit.NANOSECONDS);
                timer.schedule(() -> cpuAtEnd.set(ilb.ilb().cpuTime()), measuredEnd - System.nanoTime(),
                        TimeUnit.NANOSECONDS);
                new OpenLoopLoad(client, BatchYield::request).run(rate, start, measuredEnd, 1, recorder);
            } finally {
                timer.shutdownNow();
            }
            // the results written by the phase's end are read within the watcher's poll
            TimeUnit.SECONDS.sleep(1);
            List<BatchJobs.Outcome> outcomes = results.outcomes();
            long done = outcomes.stream().filter(o -> !o.deadLetter() && o.timestampMillis() >= startMillis
                    && o.timestampMillis() < endMillis).count();
            long doneByEnd = outcomes.stream().filter(o -> !o.deadLetter() && o.timestampMillis() < endMillis).count();
            long deadLetters = outcomes.stream().filter(BatchJobs.Outcome::deadLetter).count();
            double window = phase.toMillis() / 12.0;
            List<double[]> perSecond = new ArrayList<>();
            for (int w = 0; w < 12; w++) {
                long from = startMillis + Math.round(w * window);
                long to = startMillis + Math.round((w + 1) * window);
                long inWindow = outcomes.stream().filter(o -> !o.deadLetter() && o.timestampMillis() >= from
                        && o.timestampMillis() < to).count();
                perSecond.add(new double[] {(w + 0.5) * window / 1000, inWindow * 1000.0 / (to - from)});
            }
            double cpuShare = cpuAtStart.get() == null || cpuAtEnd.get() == null ? Double.NaN
                    : 100.0 * cpuAtEnd.get().minus(cpuAtStart.get()).toNanos() / phase.toNanos();
            return new YieldRun(system, mode, backlog, recorder.latencies(), done, doneByEnd, deadLetters, cpuShare,
                    perSecond);
        }
    }

    private ThroughputRun throughputRun(String system, int backends, int warmUpJobs, int jobs, BenchSettings settings)
            throws SystemUnavailable, InterruptedException {
        long begin = System.nanoTime();
        try (Fleet fleet = Fleet.start(Collections.nCopies(backends, BackendSpec.gpu()));
                IlbProcess.WithBatch ilb = startIlb(system, fleet, settings, "throughput-" + backends);
                BatchJobs.Watch results = BatchJobs.watch(ilb.kafka())) {
            System.out.printf("  %s, %d backends: ready in %.1f s%n", system, backends, (System.nanoTime() - begin) / 1e9);
            // the consumer joins its group and ilb's job path is compiled before the clock starts
            BatchJobs.submit(ilb.kafka(), "warm-up", warmUpJobs, BatchYield::smallJob, false);
            if (!results.await(o -> o.of("warm-up"), warmUpJobs, Duration.ofSeconds(120))) {
                throw new SystemUnavailable("the " + warmUpJobs + " warm-up jobs were not all done within 120 s; see "
                        + settings.work());
            }
            Duration cpuBefore = ilb.ilb().cpuTime();
            long first = BatchJobs.submit(ilb.kafka(), "job", jobs, BatchYield::smallJob, false);
            // a quarter of the servers' ceiling would still finish
            double ceiling = backends * BackendSpec.gpu().requestsPerSecond(SMALL_JOB_TOKENS, SMALL_JOB_OUTPUT_TOKENS);
            Duration atMost = Duration.ofSeconds(30 + Math.round(4 * jobs / ceiling));
            results.await(o -> o.of("job"), jobs, atMost);
            Duration cpu = ilb.ilb().cpuTime().minus(cpuBefore);
            List<BatchJobs.Outcome> outcomes = results.outcomes().stream()
                    .filter(o -> o.of("job")).toList();
            Map<String, Integer> byId = new HashMap<>();
            outcomes.forEach(o -> byId.merge(o.customId(), 1, Integer::sum));
            long last = outcomes.stream().mapToLong(BatchJobs.Outcome::timestampMillis).max().orElse(first);
            long deadLetters = outcomes.stream().filter(BatchJobs.Outcome::deadLetter).count();
            long duplicates = outcomes.size() - byId.size();
            long[] buckets = new long[(int) ((last - first) / BUCKET_MILLIS) + 1];
            outcomes.forEach(o -> buckets[(int) (Math.max(0, o.timestampMillis() - first) / BUCKET_MILLIS)]++);
            List<double[]> overTime = new ArrayList<>();
            for (int b = 0; b < buckets.length; b++) {
                overTime.add(new double[] {(b + 0.5) * BUCKET_MILLIS / 1000.0, buckets[b] * 1000.0 / BUCKET_MILLIS});
            }
            return new ThroughputRun(system, backends, jobs, byId.size(), (last - first) / 1000.0, deadLetters,
                    duplicates, byId.isEmpty() ? Double.NaN : cpu.toNanos() / 1e6 / byId.size(), overTime);
        }
    }

    private static IlbProcess.WithBatch startIlb(String system, Fleet fleet, BenchSettings settings, String run)
            throws SystemUnavailable {
        if (!IlbSpec.names(system)) {
            throw new IllegalArgumentException("S5 runs ilb only (its batch jobs come through ilb's Kafka): " + system);
        }
        return IlbProcess.startWithBatch(IlbSpec.parse(system), fleet, settings, run);
    }

    private void reportYield(Report report, List<YieldRun> runs, Map<String, String> unavailable, Duration phase,
            Duration timeout, int slots, double interactiveMillis, double jobMillis) {
        Table latency = new Table("(a) interactive latency (ms) beside a batch backlog")
                .column("system").column("run").column("requests", "%d").column("TTFT p50", "%.0f")
                .column("TTFT p99", "%.0f").column("e2e p50", "%.0f").column("e2e p99", "%.0f").column("SLO %", "%.1f")
                .column("TTFT p99 vs " + Mode.NONE.label, "%.2f").column("e2e p99 vs " + Mode.NONE.label, "%.2f")
                .column("errors");
        Table work = new Table("(a) batch jobs done during the measured phase, and the fleet's useful work")
                .column("system").column("run").column("backlog", "%d").column("batch jobs done", "%d")
                .column("batch jobs/s", "%.1f").column("backlog done by phase end %", "%.0f")
                .column("interactive work %", "%.1f").column("batch work %", "%.1f").column("useful work %", "%.1f")
                .column("ilb CPU %", "%.0f").column("dead letters", "%d");
        Map<String, List<double[]>> ttftOverTime = new LinkedHashMap<>();
        Map<String, List<double[]>> batchOverTime = new LinkedHashMap<>();
        Map<String, Map<String, Double>> ratios = new LinkedHashMap<>();
        double phaseSeconds = phase.toMillis() / 1000.0;
        for (YieldRun run : runs) {
            Latencies l = run.latencies();
            YieldRun baseline = runs.stream().filter(r -> r.system().equals(run.system()) && r.mode() == Mode.NONE)
                    .findFirst().orElse(null);
            double ttftRatio = baseline == null ? Double.NaN
                    : Scenario.ratio(l.ttftMillis(99), baseline.latencies().ttftMillis(99));
            double e2eRatio = baseline == null ? Double.NaN
                    : Scenario.ratio(l.e2eMillis(99), baseline.latencies().e2eMillis(99));
            latency.row(run.system(), run.mode().label, l.count(), l.ttftMillis(50), l.ttftMillis(99),
                    l.e2eMillis(50), l.e2eMillis(99), 100.0 * l.count(this::meetsSlo) / l.count(), ttftRatio, e2eRatio,
                    l.errors());
            // slot-seconds of work done against the fleet's slot-seconds in the phase
            double interactiveWork = 100.0 * l.count(Sample::ok) * interactiveMillis / 1000 / (slots * phaseSeconds);
            double batchWork = 100.0 * run.batchDone() * jobMillis / 1000 / (slots * phaseSeconds);
            work.row(run.system(), run.mode().label, run.backlog(), run.batchDone(), run.batchDone() / phaseSeconds,
                    run.backlog() == 0 ? Double.NaN : 100.0 * run.batchDoneByEnd() / run.backlog(), interactiveWork,
                    batchWork, interactiveWork + batchWork, run.ilbCpuShare(), run.deadLetters());
            String name = run.mode().label + (Lineups.BATCH.size() > 1 ? " (" + run.system() + ")" : "");
            List<double[]> ttft = new ArrayList<>();
            double window = phaseSeconds / 12;
            for (int w = 0; w < 12; w++) {
                // a p99 that is a failed request is drawn at the timeout
                ttft.add(new double[] {(w + 0.5) * window,
                    Math.min(l.window(w * window, (w + 1) * window).ttftMillis(99), timeout.toMillis())});
            }
            ttftOverTime.put(name, ttft);
            if (run.mode() != Mode.NONE) {
                batchOverTime.put(name, run.batchPerSecond());
                ratios.computeIfAbsent("TTFT p99", x -> new LinkedHashMap<>()).put(name, ttftRatio);
                ratios.computeIfAbsent("e2e p99", x -> new LinkedHashMap<>()).put(name, e2eRatio);
            }
        }
        unavailable.forEach((system, reason) -> latency.row(system + " (" + reason + ")", null, null, null, null,
                null, null, null, null, null, null));
        report.table(latency);
        report.table(work);
        report.note(String.format("Latency percentiles are of all interactive requests due in the measured phase, a "
                + "failed one counting as slower than any answer (∞). Ratios are to the same ilb's run without batch "
                + "jobs. Batch jobs done = results on `ilb.results` whose record timestamp (when ilb wrote them) falls "
                + "in the measured phase. Work %% = slot-seconds of completed work (interactive answers × %.0f ms, "
                + "batch results × %.0f ms) over the fleet's %d sequence slots × %.0f s: 100 %% is every slot busy "
                + "all the time; with batch priority the most a server takes while batch jobs run is %.0f %% of its "
                + "capacity (the reserve), so yielding batch can bring useful work to %.0f %% at most. `ilb CPU` is "
                + "ilb's JVM (embedded Kafka broker included) over the phase, in %% of one CPU.",
                interactiveMillis, jobMillis, slots, phaseSeconds, (1 - BATCH_RESERVE) * 100,
                (1 - BATCH_RESERVE) * 100));
        report.note("How many batch jobs run at once is the batch consumer's AIMD limit (at most "
                + "`ilb.batch.maxInFlight` = 64): it starts at 4, grows by about one for each round of jobs done, and "
                + "shrinks by a quarter when jobs are turned away for want of spare capacity. A job turned away is "
                + "offered again after `ilb.batch.deferMillis` (200 ms). Sent as interactive, jobs are never turned "
                + "away: they wait in the pool's queue in turn with interactive requests, and the limit keeps growing "
                + "through the phase, so that run gets worse as it goes (chart) and its ratios depend on how long the "
                + "phase is.");

        var ratioChart = report.chartFile("p99-vs-interactive-only");
        Charts.bars(ratioChart, "S5 (a): interactive p99 with a batch backlog, × the run without it", "× interactive only",
                ratios);
        report.chart(ratioChart, "interactive p99 ratios to the run without batch jobs");
        var ttftChart = report.chartFile("ttft-p99-over-time");
        Charts.lines(ttftChart, "S5 (a): interactive TTFT p99 per window of the measured phase", "seconds into the "
                + "measured phase", "TTFT p99 (ms, log scale)", true, ttftOverTime);
        report.chart(ttftChart, "interactive TTFT p99 over time per run");
        var batchChart = report.chartFile("batch-jobs-per-second");
        Charts.lines(batchChart, "S5 (a): batch jobs done per second (by result timestamp)", "seconds into the "
                + "measured phase", "batch jobs/s", false, batchOverTime);
        report.chart(batchChart, "batch jobs done per second over time");
        report.data("interactive TTFT p99 per window (ms, failed p99 at the timeout)", ttftOverTime);
        report.data("batch jobs/s per window", batchOverTime);
    }

    private void reportThroughput(Report report, List<ThroughputRun> runs, int jobs, int warmUpJobs, BackendSpec gpu,
            double smallJobMillis) {
        double perServer = gpu.requestsPerSecond(SMALL_JOB_TOKENS, SMALL_JOB_OUTPUT_TOKENS);
        int batchSlots = Math.max(1, (int) Math.floor(gpu.capacity() * (1 - BATCH_RESERVE)));
        report.note(String.format("**(b) Batch throughput.** No interactive traffic: %,d jobs (%d-word prompt, "
                + "`max_tokens` %d, not streamed: %.0f ms each on %s) submitted at once to ilb with 1 and with 3 such "
                + "servers, each run with a fresh fleet and ilb, after %d warm-up jobs (the consumer has joined its "
                + "group, ilb's job path is compiled). Jobs/s = jobs done / (last result's timestamp − first "
                + "submit). Ceiling = servers × max-num-seqs / service time = %.1f jobs/s a server; with batch "
                + "priority a server takes at most %d of its %d (%.0f %% reserve kept for interactive requests even "
                + "when there are none), so %.1f jobs/s a server is the most ilb can do by design.",
                jobs, SMALL_JOB_WORDS, SMALL_JOB_OUTPUT_TOKENS, smallJobMillis, gpu.hardware(), warmUpJobs, perServer,
                batchSlots, gpu.capacity(), BATCH_RESERVE * 100, batchSlots * 1000 / smallJobMillis));
        Table table = new Table("(b) batch throughput, no interactive traffic")
                .column("system").column("backends", "%d").column("jobs", "%d").column("done", "%d")
                .column("seconds", "%.1f").column("jobs/s", "%.1f").column("ceiling jobs/s", "%.1f")
                .column("vs ceiling", "%.2f").column("batch-share ceiling jobs/s", "%.1f")
                .column("vs batch-share ceiling", "%.2f").column("ilb CPU ms/job", "%.2f")
                .column("dead letters", "%d").column("duplicates", "%d");
        Map<String, Map<String, Double>> bars = new LinkedHashMap<>();
        Map<String, List<double[]>> overTime = new LinkedHashMap<>();
        for (ThroughputRun run : runs) {
            double jobsPerSecond = run.seconds() > 0 ? run.done() / run.seconds() : Double.NaN;
            double ceiling = run.backends() * perServer;
            double batchCeiling = run.backends() * batchSlots * 1000 / smallJobMillis;
            table.row(run.system(), run.backends(), run.jobs(), run.done(), run.seconds(), jobsPerSecond, ceiling,
                    Scenario.ratio(jobsPerSecond, ceiling), batchCeiling, Scenario.ratio(jobsPerSecond, batchCeiling),
                    run.ilbCpuMillisPerJob(), run.deadLetters(), run.duplicates());
            String name = run.backends() + (run.backends() == 1 ? " backend" : " backends")
                    + (Lineups.BATCH.size() > 1 ? " (" + run.system() + ")" : "");
            bars.computeIfAbsent("measured", x -> new LinkedHashMap<>()).put(name, jobsPerSecond);
            bars.computeIfAbsent("batch-share ceiling", x -> new LinkedHashMap<>()).put(name, batchCeiling);
            bars.computeIfAbsent("ceiling", x -> new LinkedHashMap<>()).put(name, ceiling);
            overTime.put(name, run.overTime());
        }
        report.table(table);
        report.note("The consumer takes jobs 100 at a time (`ilb.batch.maxPollRecords`) and polls again only once "
                + "every job of the poll has its result, so at the end of each poll its concurrency drains to the "
                + "poll's last jobs; a job turned away (the AIMD limit overshooting the servers' batch share) holds its "
                + "whole poll for `ilb.batch.deferMillis` (200 ms). The dips in the chart below are those. `ilb CPU ms/job`: ilb's "
                + "JVM from the first submit until all results were read (embedded broker, health checks and metrics "
                + "scrapes included) per job done.");
        var chart = report.chartFile("throughput");
        Charts.bars(chart, "S5 (b): batch jobs/s, no interactive traffic", "jobs/s", bars);
        report.chart(chart, "batch throughput against the servers' ceiling");
        var timeline = report.chartFile("throughput-over-time");
        Charts.lines(timeline, "S5 (b): results per second (" + BUCKET_MILLIS + " ms buckets by result timestamp)",
                "seconds since the first submit", "results/s", false, overTime);
        report.chart(timeline, "batch results per second over time");
        report.data("(b) results/s per " + BUCKET_MILLIS + " ms bucket", overTime);
    }

    /** Interactive request {@code index}: the same in every run, never repeated (a repeat would be a cache hit). */
    private static ChatRequest request(long index) {
        return ChatRequest.user(Words.random(new SplittableRandom(1_000_003 + index), PROMPT_WORDS), OUTPUT_TOKENS,
                true);
    }

    /** Batch job {@code index} of part (a). */
    private static ChatRequest job(int index) {
        return ChatRequest.user(Words.random(new SplittableRandom(7_000_000_000L + index), JOB_WORDS),
                JOB_OUTPUT_TOKENS, false);
    }

    /** Batch job {@code index} of part (b). */
    private static ChatRequest smallJob(int index) {
        return ChatRequest.user(Words.random(new SplittableRandom(9_000_000_000L + index), SMALL_JOB_WORDS),
                SMALL_JOB_OUTPUT_TOKENS, false);
    }

    private boolean meetsSlo(Sample sample) {
        double ttftMs = sample.ttftNanos() / 1e6;
        double tpotMs = (sample.e2eNanos() - sample.ttftNanos()) / 1e6 / (OUTPUT_TOKENS - 1);
        return sample.ok() && ttftMs <= SLO_TTFT_MS && tpotMs <= SLO_TPOT_MS;
    }
}
