package ilb.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * S6: tenants sharing a saturated fleet. Tenant A sends ten times tenant B's rate, more than the fleet can do, so
 * that a queue forms; both are standard with weight 1. Does B keep its time to first token (B with A ÷ B alone)? And
 * does a critical tenant C keep its own when standard traffic saturates the fleet (C saturated ÷ C on an idle
 * fleet)? ilb, with the tenants, against HAProxy {@code leastconn} with {@code maxconn} (one queue, no tenancy), each
 * on a fresh fleet of its own, through the same four phases.
 */
final class NoisyNeighbour implements Scenario {

    private static final int PROMPT_WORDS = 200;
    /** The simulator's tokens: the words plus the role name. */
    private static final int PROMPT_TOKENS = PROMPT_WORDS + 1;
    private static final int OUTPUT_TOKENS = 32;
    /** A larger model on a larger GPU than S2's: a quarter second to the first token, 48 sequences at once. */
    private static final BackendSpec SERVER = BackendSpec.gpu().withLatency(250, 0.1, 20).withBatch(48);
    private static final List<BackendSpec> FLEET = Collections.nCopies(2, SERVER);
    /** The bench's own tenant sends this share of the capacity before the phases, unmeasured. */
    private static final double JIT_LOAD = 0.5;
    /** ilb's queue deadline of every class, as HAProxy's {@code timeout queue}. */
    private static final String QUEUE_TIMEOUT = "10s";
    private static final int QUEUE_SIZE = 1024;
    private static final double TARGET_B = 1.5;
    private static final double TARGET_C = 1.2;

    /**
     * A tenant's traffic: its share of the fleet's capacity, whether streamed (its TTFT counts), and the seed of its
     * arrivals (the same in every phase and system).
     */
    private record Sender(TenantSpec tenant, double load, boolean streamed, long seed) {
        String name() {
            return tenant.name();
        }
    }

    private static final Sender B = new Sender(TenantSpec.of("b", "priority=standard", "weight=1"), 0.15, true, 62);
    /** Ten times B's rate; its TTFT does not count. */
    private static final Sender A = new Sender(TenantSpec.of("a", "priority=standard", "weight=1"), 10 * B.load(),
            false, 61);
    private static final Sender C = new Sender(TenantSpec.of("c", "priority=critical"), 0.15, true, 63);

    /** A phase: which tenants send, on a fleet that is idle apart from them or saturated. */
    private enum Phase {
        B_ALONE("B alone", false, B), B_WITH_A("B with A", true, A, B), C_IDLE("C, idle fleet", false, C),
        C_SATURATED("C, fleet saturated by A and B", true, A, B, C);

        final String label;
        final boolean saturated;
        final List<Sender> senders;

        Phase(String label, boolean saturated, Sender... senders) {
            this.label = label;
            this.saturated = saturated;
            this.senders = List.of(senders);
        }

        /** The tenant whose TTFT the phase is for. */
        Sender measured() {
            return senders.contains(C) ? C : B;
        }
    }

    /** One system through one phase: each tenant's latencies by its name. */
    private record Run(String system, Phase phase, Map<String, Latencies> byTenant) {
    }

    @Override
    public String id() {
        return "s6-noisy-neighbour";
    }

    @Override
    public String title() {
        return "S6 noisy neighbour";
    }

    @Override
    public void run(BenchSettings settings, Report report) throws InterruptedException {
        Duration jitWarmUp = settings.pick(Duration.ofSeconds(2), Duration.ofSeconds(4));
        Duration idleWarmUp = settings.pick(Duration.ofSeconds(1), Duration.ofSeconds(2));
        Duration saturatedWarmUp = settings.pick(Duration.ofSeconds(2), Duration.ofSeconds(3));
        Duration measured = settings.pick(Duration.ofSeconds(5), Duration.ofSeconds(15));
        Duration timeout = Duration.ofSeconds(15);
        double serviceMillis = SERVER.serviceMillis(PROMPT_TOKENS, OUTPUT_TOKENS);
        double capacity = FLEET.stream().mapToDouble(s -> s.requestsPerSecond(PROMPT_TOKENS, OUTPUT_TOKENS)).sum();
        double ttftMillis = SERVER.ttftMs() + SERVER.prefillMsPerToken() * PROMPT_TOKENS;
        // at saturation a slot frees every 1 / capacity on average; were completions a Poisson process, the
        // first request in line would wait up to ln(100) times that at the 99th percentile
        double slotWaitP99 = Math.log(100) * 1000 / capacity;
        String phases = String.join("; ", Stream.of(Phase.values()).map(p -> p.label).toList());
        report.note(String.format("Fleet: %d × (%s): %.0f ms to the first token and %.0f ms a request (%d-word "
                + "prompts, all different; `max_tokens` %d), %.1f req/s in all. Tenants (ilb, `ilb.tenant.<t>.*`): "
                + "%s, %s, %s; each sends with its own key, HAProxy gets the same requests and ignores the keys. B "
                + "sends %.0f %% of the fleet's capacity (%.1f req/s), A ten times that (%.1f req/s, not streamed), "
                + "C %.0f %% (%.1f req/s); B's and C's requests are streamed, and their time to first token is what "
                + "counts. Open-loop Poisson, each tenant on its own schedule (the same arrivals for a tenant in "
                + "every phase and system). Each system on a fresh fleet: first %d s at %.0f %% of capacity from the "
                + "bench's own tenant, not measured (the JIT compiles each process's request path), then the phases "
                + "in order: %s; each %d s of warm-up (%d s when saturated) and %d s measured; requests unanswered "
                + "after %d s are errors. ilb: `least-request`, capacity = max-num-seqs, `ilb.balancer.queueSize` %d, "
                + "`ilb.balancer.queueTimeout.{critical,standard,sheddable}` %s; HAProxy: `leastconn`, `maxconn` = "
                + "the same capacity, `timeout queue 10s`.",
                FLEET.size(), SERVER, ttftMillis, serviceMillis, PROMPT_WORDS, OUTPUT_TOKENS, capacity,
                A.tenant().describe(), B.tenant().describe(), C.tenant().describe(), B.load() * 100,
                B.load() * capacity, A.load() * capacity, C.load() * 100, C.load() * capacity, jitWarmUp.toSeconds(),
                JIT_LOAD * 100, phases, idleWarmUp.toSeconds(), saturatedWarmUp.toSeconds(), measured.toSeconds(),
                timeout.toSeconds(), QUEUE_SIZE, QUEUE_TIMEOUT));
        report.note(String.format("Targets (the issue's): B's p99 TTFT with A ≤ %.1f× B alone; C's p99 TTFT "
                + "saturated ≤ %.1f× idle. No scheduler does better than the next free sequence slot: at saturation "
                + "one frees every %.1f ms on average, and the first request in line waits up to about %.0f ms for it "
                + "at the 99th percentile (were completions a Poisson process), %.2f× a %.0f ms TTFT.", TARGET_B,
                TARGET_C,
                1000 / capacity, slotWaitP99, (ttftMillis + slotWaitP99) / ttftMillis, ttftMillis));

        List<Run> runs = new ArrayList<>();
        Map<String, String> unavailable = new LinkedHashMap<>();
        for (String system : Lineups.NOISY_NEIGHBOUR) {
            try (Fleet fleet = Fleet.start(FLEET);
                    Testbed testbed = Testbed.around(fleet, start(system, fleet, settings), timeout)) {
                // the JIT compiles each process's request path before anything is measured
                testbed.run(List.of(new Testbed.Part(TenantSpec.BENCH.name(), index -> TenantSpec.BENCH.sign(
                        ChatRequest.user(Words.random(new SplittableRandom(index), PROMPT_WORDS), OUTPUT_TOKENS, true)),
                        JIT_LOAD * capacity, 60)), jitWarmUp, Duration.ZERO);
                for (Phase phase : Phase.values()) {
                    System.out.printf("  %s: %s%n", system, phase.label);
                    runs.add(new Run(system, phase, testbed.run(parts(phase, capacity),
                            phase.saturated ? saturatedWarmUp : idleWarmUp, measured)));
                }
            } catch (SystemUnavailable e) {
                unavailable.put(system, Scenario.unavailable(e));
            }
        }
        report(report, runs, unavailable, timeout);
    }

    /** ilb with the tenants and per-class queue deadlines, or a system without tenancy. */
    private static SystemUnderTest start(String system, Fleet fleet, BenchSettings settings) throws SystemUnavailable {
        long begin = System.nanoTime();
        SystemUnderTest started;
        if (IlbSpec.names(system)) {
            IlbSpec ilb = IlbSpec.parse(system);
            started = IlbProcess.start("ilb-s6-" + ilb.policy(), IlbProcess.poolRoute("pool-bench", Map.of(), ilb,
                    fleet.members()), List.of(A.tenant(), B.tenant(), C.tenant()), List.of(
                    "-Dilb.balancer.queueSize=" + QUEUE_SIZE, "-Dilb.balancer.queueTimeout.critical=" + QUEUE_TIMEOUT,
                    "-Dilb.balancer.queueTimeout.standard=" + QUEUE_TIMEOUT,
                    "-Dilb.balancer.queueTimeout.sheddable=" + QUEUE_TIMEOUT), settings);
        } else {
            started = SystemUnderTest.start(system, fleet, settings);
        }
        System.out.printf("  %s: ready in %.1f s%n", system, (System.nanoTime() - begin) / 1e9);
        return started;
    }

    /** Each tenant of a phase at its rate; a tenant's arrivals are the same in every phase, its prompts not. */
    private static List<Testbed.Part> parts(Phase phase, double capacity) {
        return phase.senders.stream().map(sender -> {
            long prompts = 1_000L * (phase.ordinal() + 1) + sender.seed();
            Workload requests = index -> sender.tenant().sign(ChatRequest.user(
                    Words.random(new SplittableRandom(prompts * 1_000_003 + index), PROMPT_WORDS), OUTPUT_TOKENS,
                    sender.streamed()));
            return new Testbed.Part(sender.name(), requests, sender.load() * capacity, sender.seed());
        }).toList();
    }

    private static void report(Report report, List<Run> runs, Map<String, String> unavailable, Duration timeout) {
        Table tenants = new Table("each tenant in each phase (ms)").column("system").column("phase")
                .column("tenant").column("requests", "%d").column("TTFT p50", "%.0f").column("TTFT p99", "%.0f")
                .column("e2e p50", "%.0f").column("e2e p99", "%.0f").column("answered %", "%.1f")
                .column("errors");
        for (Run run : runs) {
            run.byTenant().forEach((tenant, l) -> tenants.row(run.system(), run.phase().label, tenant, l.count(),
                    streamed(tenant) ? l.ttftMillis(50) : null, streamed(tenant) ? l.ttftMillis(99) : null,
                    l.e2eMillis(50), l.e2eMillis(99),
                    100.0 * (l.count() - l.errorCount()) / l.count(), l.errors()));
        }
        unavailable.forEach((system, reason) -> tenants.row(system + " (" + reason + ")", null, null, null, null, null,
                null, null, null, null));
        report.table(tenants);
        report.note("A is not streamed: its TTFT is blank. `answered %`: the share of its requests of the measured "
                + "phase that were answered well (the others were shed or timed out). Percentiles are of all "
                + "requests, a failed one counting as slower than any answer (∞: the percentile fell on a failure, "
                + "e.g. a request shed with 503 or timed out).");

        Table ratios = new Table("the targets: p99 TTFT (ms) and its ratio, side by side").column("system")
                .column("B alone", "%.0f").column("B with A", "%.0f").column("B ratio (≤ " + TARGET_B + ")", "%.2f")
                .column("C idle", "%.0f").column("C saturated", "%.0f")
                .column("C ratio (≤ " + TARGET_C + ")", "%.2f");
        Map<String, Map<String, Double>> bars = new LinkedHashMap<>();
        for (String system : runs.stream().map(Run::system).distinct().toList()) {
            double bAlone = p99(runs, system, Phase.B_ALONE);
            double bWithA = p99(runs, system, Phase.B_WITH_A);
            double cIdle = p99(runs, system, Phase.C_IDLE);
            double cSaturated = p99(runs, system, Phase.C_SATURATED);
            ratios.row(system, bAlone, bWithA, Scenario.ratio(bWithA, bAlone), cIdle, cSaturated,
                    Scenario.ratio(cSaturated, cIdle));
            for (Phase phase : Phase.values()) {
                // a p99 that is a failed request is drawn at the timeout
                bars.computeIfAbsent(phase.label, x -> new LinkedHashMap<>()).put(system,
                        Math.min(p99(runs, system, phase), timeout.toMillis()));
            }
        }
        unavailable.forEach((system, reason) -> ratios.row(system + " (" + reason + ")", null, null, null, null, null,
                null));
        report.table(ratios);
        report.note("A ratio over 1 is what the other tenants' traffic costs a tenant's slowest requests; ∞ (or a "
                + "blank ratio): the p99 request failed.");
        if (!bars.isEmpty()) {
            var png = report.chartFile("ttft-p99");
            Charts.bars(png, "S6: p99 TTFT of B and C by phase (a failed p99 drawn at the " + timeout.toSeconds()
                    + " s timeout)", "ms", bars);
            report.chart(png, "p99 TTFT of B and C per phase and system");
        }
    }

    private static boolean streamed(String tenant) {
        return Stream.of(A, B, C).anyMatch(sender -> sender.name().equals(tenant) && sender.streamed());
    }

    /** The p99 TTFT of the tenant a phase is for, NaN if the system did not run it. */
    private static double p99(List<Run> runs, String system, Phase phase) {
        return runs.stream().filter(r -> r.system().equals(system) && r.phase() == phase).findFirst()
                .map(r -> r.byTenant().get(phase.measured().name()).ttftMillis(99)).orElse(Double.NaN);
    }
}
