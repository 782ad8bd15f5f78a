package ilb.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import ilb.DnsServer;

/**
 * S10: a pool found by DNS grows from 2 servers to 4 and shrinks back to 2 under open-loop load, as an autoscaler
 * (KEDA) scales the pods behind a Kubernetes headless Service: the servers listen on 127.0.0.2 to 127.0.0.5, all on
 * one port, and a real DNS server (dnsmasq) gives their addresses. Two join at {@code addAt}; at {@code removeAt} the
 * two that joined leave the answer and stop {@value #PRE_STOP_SECONDS} s later (a pod's preStop hook). ilb
 * ({@code dns://}, looked up every second) against HAProxy's DNS service discovery ({@code server-template} with a
 * {@code resolvers} section asking every second): errors, and when each joining server took its first request and
 * its share.
 */
final class ScaleOut implements Scenario {

    private static final List<BackendSpec> FLEET = Collections.nCopies(4, BackendSpec.fast());
    private static final DistinctChats CHATS = HeterogeneousFleet.CHATS;
    private static final String NAME = "fleet.bench.test";
    private static final List<String> HOSTS = List.of("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5");
    private static final double LOAD = 0.6;
    private static final long PRE_STOP_SECONDS = 3;
    private static final long SAMPLE_MILLIS = 250;

    @Override
    public String id() {
        return "s10-scale-out";
    }

    @Override
    public String title() {
        return "S10 scale-out by DNS";
    }

    /** A run's load and times, in seconds into its measured phase. */
    private record Timeline(double rate, Duration warmUp, double addAt, double removeAt, double end) {
    }

    /** What one system's run gave: its latencies, and each server's requests per second over time. */
    private record Run(String system, Latencies latencies, Map<String, List<double[]>> perSecond) {
    }

    @Override
    public void run(BenchSettings settings, Report report) throws InterruptedException {
        double addAt = settings.pick(3.0, 10.0);
        double removeAt = settings.pick(9.0, 25.0);
        double end = settings.pick(14.0, 35.0);
        Duration warmUp = settings.pick(Duration.ofSeconds(2), Duration.ofSeconds(5));
        double rate = LOAD * CHATS.capacity(FLEET.subList(0, 2));
        report.note(CHATS.describe(FLEET) + String.format(" Open-loop Poisson at %.0f %% of what **two** servers can do "
                + "= **%.1f req/s** (30 %% of four); %d s of warm-up on b0 and b1, then %.0f s measured: b2 and b3 join "
                + "the DNS answer at %.0f s, leave it at %.0f s and stop %d s later (a pod's preStop hook). Each system "
                + "gets a fresh fleet and DNS server. ilb: `url: dns://%s:<port>`, `resolveInterval: 1s`, every other "
                + "setting its default; HAProxy `leastconn`: `server-template b 4 %s:<port> resolvers dns` with the "
                + "same nameserver, `timeout resolve 1s`, `hold valid 1s`, `hold obsolete 0s`, health checks every "
                + "second. DNS records live 1 s.", LOAD * 100, rate, warmUp.toSeconds(), end, addAt, removeAt,
                PRE_STOP_SECONDS, NAME, NAME));

        Timeline timeline = new Timeline(rate, warmUp, addAt, removeAt, end);
        List<Run> runs = new ArrayList<>();
        Map<String, String> unavailable = new LinkedHashMap<>();
        for (String system : List.of("ilb least-request dns", "haproxy-leastconn dns")) {
            try {
                runs.add(run(system, timeline, settings));
            } catch (SystemUnavailable e) {
                unavailable.put(system, Scenario.unavailable(e));
            }
        }

        Table table = new Table("errors, and how soon the joining servers b2 and b3 took requests").column("system")
                .column("requests", "%d").column("errors", "%d").column("by kind").column("e2e p99 (ms)", "%.0f")
                .column("first request after join (s)", "%.2f").column("b2+b3 share, 1st s after join (%)", "%.0f")
                .column("b2+b3 share, rest of the 4 (%)", "%.0f").column("last request after leaving (s)", "%.2f");
        for (Run run : runs) {
            Latencies l = run.latencies();
            table.row(run.system(), l.count(), l.errorCount(), l.errors(), l.e2eMillis(99),
                    latest(run.perSecond(), addAt, point -> point[1] > 0),
                    joinedShare(run.perSecond(), addAt, addAt + 1), joinedShare(run.perSecond(), addAt + 1, removeAt),
                    lastAfter(run.perSecond(), removeAt));
        }
        unavailable.forEach((system, reason) -> table.row(system + " (" + reason + ")", null, null, null, null, null,
                null, null, null));
        report.table(table);
        report.note(String.format("Measured on the servers' own request counters, read every %d ms (a request counts as "
                + "it arrives). `first request`: from the DNS change to the end of the first %d ms in which each of "
                + "b2 and b3 got a request, the later of the two; `b2+b3 share`: the part of the fleet's requests they "
                + "got in the first second after the change, and from then until they leave (an even share is 50 %%); "
                + "`last request after leaving`: from their removal from DNS to the end of the last %d ms in which "
                + "one of them got a request. Target (issue 15): 0 errors, and the new servers take their share "
                + "within one resolve interval (1 s).", SAMPLE_MILLIS, SAMPLE_MILLIS, SAMPLE_MILLIS));

        for (Run run : runs) {
            Path png = report.chartFile("requests-per-backend-" + run.system().replaceAll("[^A-Za-z0-9-]+", "_"));
            Charts.lines(png, String.format("S10: requests/s per server, %s (b2, b3 join at %.0f s, leave at %.0f s)",
                    run.system(), addAt, removeAt), "seconds into the measured phase", "requests/s", false,
                    run.perSecond());
            report.chart(png, "requests per second per server, " + run.system());
            report.data("requests per second per server, " + run.system(), run.perSecond());
        }
    }

    private static Run run(String system, Timeline timeline, BenchSettings settings) throws SystemUnavailable,
            InterruptedException {
        int port = SystemUnderTest.freePort();
        try (DnsServer dns = DnsServer.start(1); Fleet fleet = Fleet.startAt(FLEET, HOSTS, port)) {
            dns.addresses(NAME, HOSTS.get(0), HOSTS.get(1));
            SystemUnderTest started = system.startsWith("ilb")
                    ? IlbProcess.start("ilb-least-request-dns", ilbRoute(port), List.of(),
                            List.of("-Dilb.dns.nameservers=" + dns.nameserver()), settings)
                    : HaProxy.startWithDns(fleet, NAME, port, dns.nameserver(), settings);
            try (Testbed testbed = Testbed.around(fleet, started, Duration.ofSeconds(10))) {
                AtomicLong measuredStart = new AtomicLong();
                List<long[]> counts = Collections.synchronizedList(new ArrayList<>());
                ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
                sampler.scheduleAtFixedRate(() -> counts.add(sample(fleet)), 0, SAMPLE_MILLIS, TimeUnit.MILLISECONDS);
                try {
                    Latencies latencies = testbed.run(CHATS.workload(1), timeline.rate(), timeline.warmUp(),
                            Scenario.seconds(timeline.end()), 1,
                            new Testbed.Event(Duration.ZERO, () -> measuredStart.set(System.nanoTime())),
                            new Testbed.Event(Scenario.seconds(timeline.addAt()), () -> answer(dns, HOSTS)),
                            new Testbed.Event(Scenario.seconds(timeline.removeAt()),
                                    () -> answer(dns, HOSTS.subList(0, 2))),
                            new Testbed.Event(Scenario.seconds(timeline.removeAt() + PRE_STOP_SECONDS), () -> {
                                fleet.simulator(2).crash();
                                fleet.simulator(3).crash();
                            })).latencies();
                    return new Run(system, latencies, perSecond(counts, measuredStart.get()));
                } finally {
                    sampler.shutdownNow();
                }
            }
        } catch (Exception e) {
            if (e instanceof SystemUnavailable unavailable) {
                throw unavailable;
            }
            if (e instanceof InterruptedException interrupted) {
                throw interrupted;
            }
            throw new IllegalStateException(e);
        }
    }

    private static void answer(DnsServer dns, List<String> hosts) {
        try {
            dns.addresses(NAME, hosts.toArray(String[]::new));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The time of the sample, then each server's inference requests so far. */
    private static long[] sample(Fleet fleet) {
        long[] counts = fleet.inferenceRequests();
        long[] sample = new long[counts.length + 1];
        sample[0] = System.nanoTime();
        System.arraycopy(counts, 0, sample, 1, counts.length);
        return sample;
    }

    /** Each server's requests per second in each sampling interval, at the interval's end (s into the phase). */
    private static Map<String, List<double[]>> perSecond(List<long[]> samples, long measuredStart) {
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        for (int server = 0; server < FLEET.size(); server++) {
            List<double[]> points = new ArrayList<>();
            for (int i = 1; i < samples.size(); i++) {
                long[] before = samples.get(i - 1);
                long[] now = samples.get(i);
                double at = (now[0] - measuredStart) / 1e9;
                if (at > 0) {
                    points.add(new double[] {at, (now[server + 1] - before[server + 1]) * 1e9 / (now[0] - before[0])});
                }
            }
            series.put("b" + server, points);
        }
        return series;
    }

    /** From {@code from} to the end of the first interval of b2 and of b3 that passes, the later of the two. */
    private static double latest(Map<String, List<double[]>> perSecond, double from,
            java.util.function.Predicate<double[]> passes) {
        double latest = 0;
        for (String server : List.of("b2", "b3")) {
            double first = perSecond.get(server).stream().filter(p -> p[0] > from && passes.test(p))
                    .mapToDouble(p -> p[0]).findFirst().orElse(Double.NaN);
            latest = Math.max(latest, first - from);
        }
        return latest;
    }

    /** The share of the fleet's requests that b2 and b3 got in the intervals that end within (from, to]. */
    private static double joinedShare(Map<String, List<double[]>> perSecond, double from, double to) {
        double joined = 0;
        double all = 0;
        for (Map.Entry<String, List<double[]>> server : perSecond.entrySet()) {
            for (double[] point : server.getValue()) {
                if (point[0] > from && point[0] <= to) {
                    all += point[1];
                    if (server.getKey().equals("b2") || server.getKey().equals("b3")) {
                        joined += point[1];
                    }
                }
            }
        }
        return all == 0 ? Double.NaN : 100 * joined / all;
    }

    /** From the leaving to the end of the last interval in which b2 or b3 got a request. */
    private static double lastAfter(Map<String, List<double[]>> perSecond, double removeAt) {
        double last = 0;
        for (String server : List.of("b2", "b3")) {
            for (double[] point : perSecond.get(server)) {
                if (point[0] > removeAt && point[1] > 0) {
                    last = Math.max(last, point[0] - removeAt);
                }
            }
        }
        return last;
    }

    /** ilb's pool route as an operator would write it for a headless Service: the name, and nothing else. */
    private static String ilbRoute(int port) {
        return """
                - route:
                    id: pool-bench
                    from:
                      uri: "model:%s"
                      steps:
                        - loadBalance:
                            customLoadBalancer:
                              ref: "least-request"
                            steps:
                              - to:
                                  uri: "backend:fleet"
                                  parameters: {url: "dns://%s:%d", resolveInterval: 1s}
                """.formatted(ChatRequest.MODEL, NAME, port);
    }
}
