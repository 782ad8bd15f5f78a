package ilb.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * S8: one tenant's {@code requestsPerMinute} across two ilb replicas. The tenant sends twice its limit, spread evenly
 * over both; with the replicas sharing one Redis ({@code ilb.limits.redis}) it should get its limit, without it each
 * replica counts on its own and lets through twice as much (the baseline). A burst first empties the tenant's bucket
 * (full at first), then a minute at twice the limit shows what it gets in the steady state.
 */
final class SharedLimits implements Scenario {

    /** The tenant's {@code requestsPerMinute}. */
    private static final int LIMIT = 300;
    /** The burst sends this many times the limit: more than either replica's whole bucket, so each is emptied. */
    private static final double BURST_FACTOR = 2.5;
    private static final Duration BURST = Duration.ofSeconds(4);
    /** Before the burst, the bench's own tenant (no limits) sends this many requests a second to each ilb. */
    private static final double WARM_UP_RATE = 50;
    private static final double TARGET = 0.05;
    private static final TenantSpec TENANT = TenantSpec.of("limited", "requestsPerMinute=" + LIMIT);
    private static final ChatRequest REQUEST = TENANT.sign(ChatRequest.user("hi", 1, false));
    private static final String[] HEADERS = {"retry-after", "x-ratelimit-limit-requests",
        "x-ratelimit-remaining-requests"};
    private static final String LOCAL = "two ilbs, each its own limit";
    private static final String SHARED = "two ilbs sharing Redis";

    @Override
    public String id() {
        return "s8-shared-limits";
    }

    @Override
    public String title() {
        return "S8 limits shared across replicas";
    }

    /** What one configuration let through: in the burst, in the measured span after it. */
    private record Run(String config, Latencies burst, Latencies steady, long redisCommands) {
    }

    @Override
    public void run(BenchSettings settings, Report report) throws InterruptedException {
        Duration steady = settings.pick(Duration.ofSeconds(15), Duration.ofSeconds(60));
        Duration warmUp = settings.pick(Duration.ofSeconds(2), Duration.ofSeconds(3));
        report.note(String.format("One server that answers at once, two ilbs in front of it (`least-request`, auth "
                + "on), each first warmed up for %d s at %.0f req/s by the bench's own tenant (no limits). Tenant %s: "
                + "its key goes to both ilbs. It first sends a burst of %.1f× its limit (%d requests) in %d s, half "
                + "to each ilb, which empties its bucket (a bucket holds a minute's limit and starts full) "
                + "on each ilb even when they count apart; then %d s at twice its limit a minute (%.1f req/s, %.1f to "
                + "each ilb), open-loop Poisson. 200 is admitted, 429 refused. Configurations: **%s** (the baseline: "
                + "no `ilb.limits.redis`) and **%s** (`ilb.limits.redis` = one `redis-server` on a free loopback port, "
                + "`--save '' --appendonly no`). Target: after the burst, the tenant gets its limit within ±%.0f %%: "
                + "%d × %d s / 60 s = %d admitted requests.",
                warmUp.toSeconds(), WARM_UP_RATE, TENANT.describe(), BURST_FACTOR, Math.round(BURST_FACTOR * LIMIT),
                BURST.toSeconds(), steady.toSeconds(), 2.0 * LIMIT / 60, LIMIT / 60.0, LOCAL, SHARED, TARGET * 100,
                LIMIT, steady.toSeconds(), Math.round(LIMIT * steady.toSeconds() / 60.0)));
        List<Run> runs = new ArrayList<>();
        Map<String, String> unavailable = new LinkedHashMap<>();
        try (Fleet fleet = Fleet.start(List.of(BackendSpec.instant()))) {
            for (String config : List.of(LOCAL, SHARED)) {
                try {
                    runs.add(run(config, fleet, warmUp, steady, settings));
                } catch (SystemUnavailable e) {
                    unavailable.put(config, Scenario.unavailable(e));
                }
            }
        }
        report(report, runs, unavailable, steady);
    }

    /** The two ilbs, and a client of each; closed together. */
    private record Replicas(List<SystemUnderTest> ilbs, List<LoadClient> clients) implements AutoCloseable {
        @Override
        public void close() {
            clients.forEach(LoadClient::close);
            ilbs.forEach(SystemUnderTest::close);
        }
    }

    private Run run(String config, Fleet fleet, Duration warmUp, Duration steady, BenchSettings settings)
            throws SystemUnavailable, InterruptedException {
        boolean shared = config.equals(SHARED);
        String name = "ilb-s8-" + (shared ? "redis" : "local");
        try (RedisServer redis = shared ? RedisServer.start(settings.work().resolve(name + "-redis")) : null;
                Replicas replicas = startBoth(name, IlbProcess.poolRoute(IlbSpec.of("least-request"), fleet),
                        shared ? List.of("-Dilb.limits.redis=" + redis.url()) : List.of(), settings)) {
            List<LoadClient> clients = replicas.clients();
            // the JIT compiles each ilb's request path: a cold ilb would queue the burst
            ChatRequest unlimited = TenantSpec.BENCH.sign(ChatRequest.user("hi", 1, false));
            load(clients, index -> unlimited, WARM_UP_RATE * clients.size(), warmUp, 10);
            long commandsBefore = shared ? redis.commandsProcessed() : 0;
            Latencies burst = load(clients, index -> REQUEST, BURST_FACTOR * LIMIT / BURST.toSeconds(), BURST, 11);
            Latencies minute = load(clients, index -> REQUEST, 2.0 * LIMIT / 60, steady, 12);
            // this question is a command too
            long commands = shared ? redis.commandsProcessed() - commandsBefore - 1 : 0;
            Run run = new Run(config, burst, minute, commands);
            check(run);
            return run;
        }
    }

    /** Both ilbs, started at once to save time, each with a client; neither left running if the other fails. */
    private static Replicas startBoth(String name, String routes, List<String> properties, BenchSettings settings)
            throws SystemUnavailable, InterruptedException {
        long begin = System.nanoTime();
        ExecutorService starter = Executors.newFixedThreadPool(2);
        try {
            List<Future<SystemUnderTest>> starting = new ArrayList<>();
            for (int i = 1; i <= 2; i++) {
                String instance = name + "-" + i;
                starting.add(starter.submit(() -> IlbProcess.start(instance, routes, List.of(TENANT), properties,
                        settings)));
            }
            List<SystemUnderTest> started = new ArrayList<>();
            Throwable failure = null;
            for (Future<SystemUnderTest> future : starting) {
                try {
                    started.add(future.get());
                } catch (ExecutionException e) {
                    failure = e.getCause();
                }
            }
            if (failure != null) {
                started.forEach(SystemUnderTest::close);
                if (failure instanceof SystemUnavailable unavailable) {
                    throw unavailable;
                }
                throw new IllegalStateException("starting " + name, failure);
            }
            System.out.printf("  %s-1 and -2: ready in %.1f s%n", name, (System.nanoTime() - begin) / 1e9);
            return new Replicas(started, started.stream()
                    .map(ilb -> new LoadClient(ilb.baseUrl(), Duration.ofSeconds(10), HEADERS)).toList());
        } finally {
            starter.shutdown();
            starter.awaitTermination(1, TimeUnit.MINUTES);
        }
    }

    /** Requests at {@code rate} a second in all for {@code span}, half to each ilb. */
    private static Latencies load(List<LoadClient> clients, Workload requests, double rate, Duration span, long seed)
            throws InterruptedException {
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(10);
        LatencyRecorder recorder = new LatencyRecorder(start);
        List<OpenLoopLoad.Stream> streams = new ArrayList<>();
        for (int i = 0; i < clients.size(); i++) {
            streams.add(new OpenLoopLoad.Stream(clients.get(i), requests, rate / clients.size(), seed * 10 + i,
                    recorder));
        }
        OpenLoopLoad.together(streams, start, start + span.toNanos());
        return recorder.latencies();
    }

    /** A run whose numbers would mean nothing: the limit not enforced, or Redis not used. */
    private static void check(Run run) throws SystemUnavailable {
        long refused = refused(run.burst()) + refused(run.steady());
        long sent = run.burst().count() + run.steady().count();
        if (refused == 0) {
            throw new SystemUnavailable("no request of " + sent + " was refused with 429: ilb did not enforce "
                    + "ilb.tenant.<t>.requestsPerMinute (not in this build?)");
        }
        if (run.config().equals(SHARED) && run.redisCommands() <= 0) {
            throw new SystemUnavailable("ilb sent Redis no command: ilb.limits.redis not in this build?");
        }
    }

    private static long admitted(Latencies l) {
        return l.count(s -> s.status() == 200);
    }

    private static long refused(Latencies l) {
        return l.count(s -> s.status() == 429);
    }

    private static void report(Report report, List<Run> runs, Map<String, String> unavailable, Duration steady) {
        double steadyLimit = LIMIT * steady.toSeconds() / 60.0;
        double wholeLimit = LIMIT + LIMIT * (BURST.toSeconds() + steady.toSeconds()) / 60.0;
        Table counts = new Table("requests admitted against the limit").column("configuration").column("part")
                .column("sent", "%d").column("admitted", "%d").column("refused (429)", "%d").column("other errors")
                .column("limit", "%.0f").column("admitted ÷ limit", "%.3f");
        Table summary = new Table("the target: after the burst, admitted ÷ limit (±" + Math.round(TARGET * 100)
                + " %), side by side").column("configuration").column("admitted ÷ limit", "%.3f")
                .column("vs " + LOCAL, "%.3f").column("within target").column("429s with Retry-After %", "%.1f")
                .column("answers with x-ratelimit-limit-requests %", "%.1f").column("Redis commands", "%d");
        double baseline = runs.stream().filter(r -> r.config().equals(LOCAL)).findFirst()
                .map(r -> admitted(r.steady()) / steadyLimit).orElse(Double.NaN);
        for (Run run : runs) {
            Latencies whole = Latencies.pooled(List.of(run.burst(), run.steady()));
            counts.row(run.config(), "burst", (long) run.burst().count(), admitted(run.burst()), refused(run.burst()),
                    others(run.burst()), null, null);
            counts.row(run.config(), "after the burst", (long) run.steady().count(), admitted(run.steady()),
                    refused(run.steady()), others(run.steady()), steadyLimit, admitted(run.steady()) / steadyLimit);
            counts.row(run.config(), "whole (bucket full at first)", (long) whole.count(), admitted(whole),
                    refused(whole), others(whole), wholeLimit, admitted(whole) / wholeLimit);
            double ratio = admitted(run.steady()) / steadyLimit;
            summary.row(run.config(), ratio, Scenario.ratio(ratio, baseline),
                    Math.abs(ratio - 1) <= TARGET ? "yes" : "no",
                    percent(whole, s -> s.status() == 429 && s.header("retry-after") != null, s -> s.status() == 429),
                    percent(whole, s -> s.header("x-ratelimit-limit-requests") != null, s -> s.status() != 0),
                    run.config().equals(SHARED) ? run.redisCommands() : null);
        }
        unavailable.forEach((config, reason) -> {
            counts.row(config + " (" + reason + ")", null, null, null, null, null, null, null);
            summary.row(config + " (" + reason + ")", null, null, null, null, null, null);
        });
        report.table(counts);
        report.note(String.format("`limit`: what the tenant may have over the part: after the burst, %d a minute "
                + "over %d s; over the whole run, the full bucket (%d) and %d a minute over the burst and the span "
                + "after it. A refill during the burst (%d s) is part of the whole run's limit, not of the span "
                + "after it: the burst leaves the bucket empty.", LIMIT, steady.toSeconds(), LIMIT, LIMIT,
                BURST.toSeconds()));
        report.table(summary);
        report.note("`Redis commands`: what redis-server ran during the run (its `INFO stats`), the bench's own "
                + "questions left out. `429s with Retry-After`, `answers with x-ratelimit-limit-requests`: OpenAI's "
                + "headers, which ilb sends on every response of a tenant with limits.");
    }

    private static Map<String, Long> others(Latencies l) {
        Map<String, Long> errors = new LinkedHashMap<>(l.errors());
        errors.remove("http 429");
        return errors;
    }

    private static double percent(Latencies l, Predicate<Sample> which,
            Predicate<Sample> among) {
        long all = l.count(among);
        return all == 0 ? Double.NaN : 100.0 * l.count(which) / all;
    }
}
