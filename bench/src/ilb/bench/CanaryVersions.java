package ilb.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * S7: versions of a model, each a pool route of its own. (a) Canary: v1 and v2 weighted 95/5, requests from many end
 * users (OpenAI's {@code user}), several each: the share v2 answered (the {@code x-ilb-model-version} response header,
 * checked against what each version's server received) against its weight, and how many users saw both versions.
 * (b) Shadow: every request of v1 also sent to v3 ({@code shadow: 1.0}), against v1 alone; both ilbs up at once in
 * front of the same fleet, taking turns in rounds: what the shadow costs the primary's p99.
 */
final class CanaryVersions implements Scenario {

    static final String VERSION_HEADER = "x-ilb-model-version";
    private static final int CANARY_WEIGHT = 5;
    private static final double TARGET_POINTS = 1.5;
    /** Before the canary's requests, unmeasured: a cold ilb would queue the first seconds at the full rate. */
    private static final double WARM_UP_RATE = 100;
    private static final BackendSpec CANARY_SERVER = BackendSpec.instant();
    private static final int SHADOW_PROMPT_WORDS = 100;
    /** The simulator's tokens: the words plus the role name. */
    private static final int SHADOW_PROMPT_TOKENS = SHADOW_PROMPT_WORDS + 1;
    private static final int SHADOW_OUTPUT_TOKENS = 32;
    private static final double SHADOW_LOAD = 0.5;
    private static final double TARGET_SHADOW = 1.02;
    /** Two servers for v1, two for its shadow v3. */
    private static final List<BackendSpec> SHADOW_FLEET = Collections.nCopies(4, BackendSpec.gpu());
    private static final String POLICY = "least-request";
    private static final String ALONE = "ilb, v1 alone";
    private static final String SHADOWED = "ilb, v1 + shadow v3 at 1.0";

    @Override
    public String id() {
        return "s7-canary";
    }

    @Override
    public String title() {
        return "S7 canary and shadow versions";
    }

    @Override
    public void run(BenchSettings settings, Report report) throws InterruptedException {
        canary(settings, report);
        shadow(settings, report);
    }

    private void canary(BenchSettings settings, Report report) throws InterruptedException {
        int requests = settings.pick(2_000, 10_000);
        int users = settings.pick(400, 2_000);
        double rate = 250;
        Duration warmUp = settings.pick(Duration.ofSeconds(2), Duration.ofSeconds(5));
        Duration phase = Duration.ofMillis(Math.round(requests * 1000 / rate));
        double spread = 100 * Math.sqrt(CANARY_WEIGHT / 100.0 * (1 - CANARY_WEIGHT / 100.0) / users);
        report.note(String.format("**(a) Canary.** Two versions of `%s`, each its own pool route of one server that "
                + "answers at once: v1 (`version: v1, weight: %d`) and v2 (`version: v2, weight: %d`). Non-streamed "
                + "chat completions from %,d end users (OpenAI's `user` field) in turn, %d each, open-loop Poisson at "
                + "%.0f req/s for %d s (about %,d requests), after %d s at %.0f req/s from other users, not counted "
                + "(the JIT compiles ilb's request path); ilb `%s`, auth off. Each response's `%s` header says which "
                + "version answered; each version's server counts what it received. Target: v2's share within "
                + "±%.1f points of %d %%, and no user seeing both versions. A user sticks to one version, so the "
                + "share is decided by %,d users, not by the requests: by chance alone it spreads by ±%.2f points "
                + "(one standard deviation), the target being %.1f of them.",
                ChatRequest.MODEL, 100 - CANARY_WEIGHT, CANARY_WEIGHT, users, requests / users, rate,
                phase.toSeconds(), requests, warmUp.toSeconds(), WARM_UP_RATE, POLICY, VERSION_HEADER, TARGET_POINTS,
                CANARY_WEIGHT, users, spread, TARGET_POINTS / spread));
        Table shares = new Table("(a) canary: share of each version").column("version").column("weight %", "%d")
                .column("answered (header)", "%d").column("share %", "%.2f").column("points off its weight", "%+.2f")
                .column("share ÷ weight", "%.3f").column("its server received", "%d");
        Table stickiness = new Table("(a) canary: stickiness").column("requests", "%d").column("errors")
                .column("answers without the header", "%d").column("users", "%d")
                .column("users who saw both versions", "%d").column("v2 within ±" + TARGET_POINTS + " points");
        try (Fleet fleet = Fleet.start(List.of(CANARY_SERVER, CANARY_SERVER))) {
            String routes = IlbProcess.poolRoute("pool-v1", params("version", "v1", "weight", 100 - CANARY_WEIGHT),
                    IlbSpec.of(POLICY), List.of(fleet.member(0)))
                    + IlbProcess.poolRoute("pool-v2", params("version", "v2", "weight", CANARY_WEIGHT),
                    IlbSpec.of(POLICY), List.of(fleet.member(1)));
            try (Testbed testbed = Testbed.around(fleet, start("ilb-s7-canary", routes, settings),
                    Duration.ofSeconds(10), VERSION_HEADER)) {
                ChatRequest request = ChatRequest.user("which version are you", 4, false);
                testbed.run(index -> request.fromEndUser("warm-up-" + index % users), WARM_UP_RATE, warmUp,
                        Duration.ZERO, 6);
                ChatRequest[] byUser = new ChatRequest[users];
                for (int u = 0; u < users; u++) {
                    byUser[u] = request.fromEndUser(String.format("user-%05d", u));
                }
                long[] before = fleet.inferenceRequests();
                Latencies latencies = testbed.run(index -> byUser[(int) (index % users)], rate, Duration.ZERO, phase, 7)
                        .latencies();
                long[] after = fleet.inferenceRequests();
                canaryTables(shares, stickiness, latencies, new long[] {after[0] - before[0], after[1] - before[1]},
                        users);
            }
        } catch (SystemUnavailable e) {
            shares.row("ilb (" + Scenario.unavailable(e) + ")", null, null, null, null, null, null);
            stickiness.row(null, null, null, null, null, "ilb not available");
        }
        report.table(shares);
        report.table(stickiness);
    }

    /**
     * The canary's answers by the version they named, against the weights and what each version's server received
     * ({@code received}, v1's then v2's); and the users who saw both versions.
     */
    private static void canaryTables(Table shares, Table stickiness, Latencies latencies, long[] received, int users) {
        Map<String, Long> byVersion = new TreeMap<>();
        latencies.samples().stream().filter(Sample::ok).map(sample -> sample.header(VERSION_HEADER))
                .forEach(version -> byVersion.merge(version == null ? "" : version, 1L, Long::sum));
        long unnamed = byVersion.getOrDefault("", 0L);
        long named = byVersion.values().stream().mapToLong(Long::longValue).sum() - unnamed;
        List<String> versions = List.of("v1", "v2");
        for (int v = 0; v < versions.size(); v++) {
            String version = versions.get(v);
            int weight = v == 0 ? 100 - CANARY_WEIGHT : CANARY_WEIGHT;
            double share = named == 0 ? Double.NaN : 100.0 * byVersion.getOrDefault(version, 0L) / named;
            shares.row(version, weight, byVersion.getOrDefault(version, 0L), share, share - weight,
                    Scenario.ratio(share, weight), received[v]);
        }
        byVersion.forEach((version, count) -> {
            if (!version.isEmpty() && !versions.contains(version)) {
                shares.row(version + " (not a version of the routes)", null, count, null, null, null, null);
            }
        });
        double v2Share = named == 0 ? Double.NaN : 100.0 * byVersion.getOrDefault("v2", 0L) / named;
        stickiness.row((long) latencies.count(), latencies.errors(), unnamed, users,
                (long) usersOnBoth(latencies, users), named == 0 ? "– (no answer named its version)"
                        : Math.abs(v2Share - CANARY_WEIGHT) <= TARGET_POINTS ? "yes" : "no");
    }

    /**
     * Users whose answers named more than one version. Request {@code i} of the schedule was user {@code i mod
     * users}'s; samples come in completion order, and their intended send times put them back in schedule order.
     */
    private static int usersOnBoth(Latencies latencies, int users) {
        List<Sample> sent = new ArrayList<>(latencies.samples());
        sent.sort((x, y) -> Long.compare(x.intendedNanos(), y.intendedNanos()));
        Map<Integer, Set<String>> versions = new HashMap<>();
        for (int i = 0; i < sent.size(); i++) {
            String version = sent.get(i).header(VERSION_HEADER);
            if (version != null) {
                versions.computeIfAbsent(i % users, u -> new HashSet<>()).add(version);
            }
        }
        return (int) versions.values().stream().filter(v -> v.size() > 1).count();
    }

    /** One ilb of part (b): v1's latencies round by round, and what v1's servers and v3's received meanwhile. */
    private record ShadowRun(String system, List<Latencies> rounds, long primaryReceived, long shadowReceived) {
        Latencies pooled() {
            return Latencies.pooled(rounds);
        }
    }

    private void shadow(BenchSettings settings, Report report) throws InterruptedException {
        int rounds = settings.pick(1, 2);
        Duration jitWarmUp = settings.pick(Duration.ofSeconds(2), Duration.ofSeconds(5));
        Duration warmUp = settings.pick(Duration.ofSeconds(1), Duration.ofSeconds(3));
        Duration measured = settings.pick(Duration.ofSeconds(4), Duration.ofSeconds(12));
        BackendSpec gpu = SHADOW_FLEET.get(0);
        double rate = SHADOW_LOAD * 2 * gpu.requestsPerSecond(SHADOW_PROMPT_TOKENS, SHADOW_OUTPUT_TOKENS);
        report.note(String.format("**(b) Shadow.** Fleet: %d × (%s): b0 and b1 serve v1, b2 and b3 its shadow v3 "
                + "(`version: v3, shadow: 1.0, stage: experimental`: every request of v1 is also sent to v3, whose "
                + "answer is discarded). Two ilbs (`%s`, auth off) in front of that fleet at once: **%s** (v1's route "
                + "only; b2 and b3 idle) and **%s**. Streamed chat completions, %d-word prompts (all different), "
                + "`max_tokens` %d: %.0f ms a request; open-loop Poisson at %.0f %% of v1's capacity = %.1f req/s. "
                + "Each ilb first gets %d s of that load, not measured (the JIT compiles its request path); then the "
                + "two take turns, %d round(s) of %d s warm-up and %d s measured each, on the same arrivals; their "
                + "rounds are pooled. Target: v1's p99 with its shadow ≤ %.2f× without.",
                SHADOW_FLEET.size(), gpu, POLICY, ALONE, SHADOWED, SHADOW_PROMPT_WORDS, SHADOW_OUTPUT_TOKENS,
                gpu.serviceMillis(SHADOW_PROMPT_TOKENS, SHADOW_OUTPUT_TOKENS), SHADOW_LOAD * 100, rate,
                jitWarmUp.toSeconds(), rounds, warmUp.toSeconds(), measured.toSeconds(), TARGET_SHADOW));
        List<ShadowRun> runs = new ArrayList<>();
        Map<String, String> unavailable = new LinkedHashMap<>();
        try (Fleet fleet = Fleet.start(SHADOW_FLEET)) {
            String primary = IlbProcess.poolRoute("pool-v1", params("version", "v1"), IlbSpec.of(POLICY),
                    fleet.members().subList(0, 2));
            String shadow = IlbProcess.poolRoute("pool-v3", params("version", "v3", "shadow", 1.0, "stage",
                    "experimental"), IlbSpec.of(POLICY), fleet.members().subList(2, 4));
            Map<String, Testbed> testbeds = new LinkedHashMap<>();
            try {
                for (String system : List.of(ALONE, SHADOWED)) {
                    try {
                        testbeds.put(system, Testbed.around(fleet, start("ilb-s7-" + (system.equals(ALONE) ? "alone"
                                : "shadow"), system.equals(ALONE) ? primary : primary + shadow, settings),
                                Duration.ofSeconds(15), VERSION_HEADER));
                    } catch (SystemUnavailable e) {
                        unavailable.put(system, Scenario.unavailable(e));
                    }
                }
                long run = 0;
                for (Testbed testbed : testbeds.values()) {
                    long prompts = ++run;
                    testbed.run(index -> shadowRequest(prompts, index), rate, jitWarmUp, Duration.ZERO, 4);
                }
                Map<String, List<Latencies>> byRound = new LinkedHashMap<>();
                Map<String, long[]> received = new LinkedHashMap<>();
                for (int round = 0; round < rounds; round++) {
                    for (var entry : testbeds.entrySet()) {
                        long[] before = fleet.inferenceRequests();
                        // the same arrivals for every run, other prompts (a repeated one would be a cache hit)
                        long prompts = ++run;
                        byRound.computeIfAbsent(entry.getKey(), s -> new ArrayList<>()).add(entry.getValue()
                                .run(index -> shadowRequest(prompts, index), rate, warmUp, measured, 5).latencies());
                        long[] after = fleet.inferenceRequests();
                        long[] sum = received.computeIfAbsent(entry.getKey(), s -> new long[2]);
                        sum[0] += after[0] - before[0] + after[1] - before[1];
                        sum[1] += after[2] - before[2] + after[3] - before[3];
                    }
                }
                byRound.forEach((system, list) -> runs.add(new ShadowRun(system, list, received.get(system)[0],
                        received.get(system)[1])));
            } finally {
                testbeds.values().forEach(Testbed::close);
            }
        }
        shadowTables(report, runs, unavailable, rounds);
    }

    private static void shadowTables(Report report, List<ShadowRun> runs, Map<String, String> unavailable,
            int rounds) {
        Table table = new Table("(b) shadow: v1's latency (ms) with and without its shadow").column("system")
                .column("requests", "%d").column("TTFT p50", "%.1f").column("TTFT p99", "%.1f")
                .column("e2e p50", "%.1f").column("e2e p99", "%.1f")
                .column("TTFT p99 ÷ alone (≤ " + TARGET_SHADOW + ")", "%.3f")
                .column("e2e p99 ÷ alone (≤ " + TARGET_SHADOW + ")", "%.3f").column("shadow copies ÷ v1's", "%.3f")
                .column("answers not from v1", "%d").column("errors");
        Latencies alone = runs.stream().filter(r -> r.system().equals(ALONE)).findFirst().map(ShadowRun::pooled)
                .orElse(null);
        for (ShadowRun run : runs) {
            Latencies l = run.pooled();
            long notV1 = l.samples().stream().filter(s -> s.ok() && !"v1".equals(s.header(VERSION_HEADER))).count();
            boolean noCopies = run.system().equals(SHADOWED) && run.shadowReceived() == 0;
            table.row(run.system() + (noCopies ? " (no copy reached v3: shadow not in this build?)" : ""),
                    (long) l.count(), l.ttftMillis(50), l.ttftMillis(99), l.e2eMillis(50), l.e2eMillis(99),
                    alone == null ? null : Scenario.ratio(l.ttftMillis(99), alone.ttftMillis(99)),
                    alone == null ? null : Scenario.ratio(l.e2eMillis(99), alone.e2eMillis(99)),
                    Scenario.ratio(run.shadowReceived(), run.primaryReceived()), notV1, l.errors());
        }
        unavailable.forEach((system, reason) -> table.row(system + " (" + reason + ")", null, null, null, null, null,
                null, null, null, null, null));
        report.table(table);
        report.note("`shadow copies ÷ v1's`: what b2 and b3 received over what b0 and b1 received during the rounds, "
                + "warm-ups included (with the shadow at 1.0: 1; 0: ilb sent no copy). `answers not from v1`: answers "
                + "whose `" + VERSION_HEADER + "` was missing or named another version (a shadow's answer must never "
                + "reach the client).");
        if (runs.size() == 2) {
            Table perRound = new Table("(b) shadow: e2e p99 (ms) by round").column("round", "%d")
                    .column(ALONE, "%.1f").column(SHADOWED, "%.1f").column("ratio", "%.3f");
            for (int round = 0; round < rounds; round++) {
                double a = runs.get(0).rounds().get(round).e2eMillis(99);
                double s = runs.get(1).rounds().get(round).e2eMillis(99);
                perRound.row(round + 1, a, s, Scenario.ratio(s, a));
            }
            report.table(perRound);
        }
    }

    /** ilb with the given pool routes, auth off. */
    private static SystemUnderTest start(String name, String routes, BenchSettings settings) throws SystemUnavailable {
        long begin = System.nanoTime();
        SystemUnderTest ilb = IlbProcess.start(name, routes, List.of(), List.of(), settings);
        System.out.printf("  %s: ready in %.1f s%n", name, (System.nanoTime() - begin) / 1e9);
        return ilb;
    }

    /** Route parameters in order, from name and value pairs. */
    private static Map<String, Object> params(Object... pairs) {
        Map<String, Object> params = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            params.put((String) pairs[i], pairs[i + 1]);
        }
        return params;
    }

    /** Request {@code index} of run {@code run} of the shadow part, never repeated (a repeat would be a cache hit). */
    private static ChatRequest shadowRequest(long run, long index) {
        return ChatRequest.user(Words.random(new SplittableRandom(run * 1_000_003 + index), SHADOW_PROMPT_WORDS),
                SHADOW_OUTPUT_TOKENS, true);
    }
}
