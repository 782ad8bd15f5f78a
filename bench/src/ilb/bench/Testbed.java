package ilb.bench;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One system under test in front of a fleet (its own, or one it shares), and an HTTP load client pointed at it, made
 * when first asked for (a system that serves gRPC has its clients of {@link GrpcLoadClient} instead).
 */
final class Testbed implements AutoCloseable {

    /** Something done to the fleet during a load phase, {@code at} after its start (a crash, a slowdown). */
    record Event(Duration at, Runnable action) {
    }

    /** One of several loads of a phase, recorded apart under its name (a tenant's requests). */
    record Part(String name, Workload workload, double rate, long seed) {
    }

    private final Fleet fleet;
    private final boolean ownsFleet;
    private final SystemUnderTest system;
    private final Duration timeout;
    private final String[] keptHeaders;
    private LoadClient client;

    private Testbed(Fleet fleet, boolean ownsFleet, SystemUnderTest system, Duration timeout, String... keptHeaders) {
        this.fleet = fleet;
        this.ownsFleet = ownsFleet;
        this.system = system;
        this.timeout = timeout;
        this.keptHeaders = keptHeaders;
    }

    /**
     * Starts a fleet and the system in front of it, both closed with the testbed; requests unanswered
     * {@code timeout} after they were due fail.
     */
    static Testbed start(String system, List<BackendSpec> fleetSpecs, Duration timeout, BenchSettings settings)
            throws SystemUnavailable {
        Fleet fleet = Fleet.start(fleetSpecs);
        try {
            return start(system, fleet, true, timeout, settings);
        } catch (SystemUnavailable | RuntimeException e) {
            fleet.close();
            throw e;
        }
    }

    /** Starts the system in front of a fleet that other testbeds share and the caller closes. */
    static Testbed on(Fleet fleet, String system, Duration timeout, BenchSettings settings) throws SystemUnavailable {
        return start(system, fleet, false, timeout, settings);
    }

    private static Testbed start(String system, Fleet fleet, boolean ownsFleet, Duration timeout,
            BenchSettings settings) throws SystemUnavailable {
        long begin = System.nanoTime();
        SystemUnderTest started = SystemUnderTest.start(system, fleet, settings);
        System.out.printf("  %s: ready in %.1f s%n", system, (System.nanoTime() - begin) / 1e9);
        return new Testbed(fleet, ownsFleet, started, timeout);
    }

    /**
     * A system the caller started (e.g. ilb with tenants) in front of a fleet the caller closes; the system is closed
     * with the testbed. The client keeps the response headers named.
     */
    static Testbed around(Fleet fleet, SystemUnderTest system, Duration timeout, String... keptHeaders) {
        return new Testbed(fleet, false, system, timeout, keptHeaders);
    }

    Fleet fleet() {
        return fleet;
    }

    LoadClient client() {
        if (client == null) {
            client = new LoadClient(system.baseUrl(), timeout, keptHeaders);
        }
        return client;
    }

    SystemUnderTest system() {
        return system;
    }

    /**
     * Open-loop Poisson load at {@code rate} a second: {@code warmUp} not measured (the JIT compiles the request path
     * of every process, queues reach their steady state), then {@code measured}. Events are timed from the start of
     * the measured part. Returns once every request has been answered or has timed out.
     */
    LatencyRecorder run(Workload workload, double rate, Duration warmUp, Duration measured, long seed, Event... events)
            throws InterruptedException {
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(10);
        long measuredStart = start + warmUp.toNanos();
        LatencyRecorder recorder = new LatencyRecorder(measuredStart);
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try {
            for (Event event : events) {
                timer.schedule(event.action(), measuredStart + event.at().toNanos() - System.nanoTime(),
                        TimeUnit.NANOSECONDS);
            }
            new OpenLoopLoad(client(), workload).run(rate, start, measuredStart + measured.toNanos(), seed, recorder);
            return recorder;
        } finally {
            timer.shutdownNow();
        }
    }

    /**
     * Several open-loop Poisson loads at once (tenants sharing the system), {@code warmUp} not measured, then
     * {@code measured}; each part's latencies by its name. Returns once every request has been answered or has
     * timed out.
     */
    Map<String, Latencies> run(List<Part> parts, Duration warmUp, Duration measured) throws InterruptedException {
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(10);
        long measuredStart = start + warmUp.toNanos();
        Map<String, LatencyRecorder> recorders = new LinkedHashMap<>();
        List<OpenLoopLoad.Stream> streams = parts.stream().map(part -> new OpenLoopLoad.Stream(client(), part.workload(),
                part.rate(), part.seed(),
                recorders.computeIfAbsent(part.name(), n -> new LatencyRecorder(measuredStart)))).toList();
        OpenLoopLoad.together(streams, start, measuredStart + measured.toNanos());
        Map<String, Latencies> latencies = new LinkedHashMap<>();
        recorders.forEach((name, recorder) -> latencies.put(name, recorder.latencies()));
        return latencies;
    }

    @Override
    public void close() {
        if (client != null) {
            client.close();
        }
        system.close();
        if (ownsFleet) {
            fleet.close();
        }
    }
}
