package ilb.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * S4: servers failing under load. Four GPU-like servers at 40 % of their capacity, so that the fleet left after
 * both faults can still carry the load; during the measured phase server b0 crashes (as with kill -9: port closed, connections reset) and then b1 becomes ten times slower. What
 * clients see: errors, and tail latency before, during and after each fault. Each system starts on a healthy fleet.
 */
final class BackendFaults implements Scenario {

    private static final DistinctChats CHATS = new DistinctChats(20, 32, false);
    private static final double LOAD = 0.4;
    private static final double SLOW_FACTOR = 10;
    private static final List<BackendSpec> FLEET = Collections.nCopies(4, BackendSpec.gpu());

    @Override
    public String id() {
        return "s4-faults";
    }

    @Override
    public String title() {
        return "S4 faults";
    }

    /** One system's run. */
    private record Run(String system, Latencies latencies) {
    }

    @Override
    public void run(BenchSettings settings, Report report) throws InterruptedException {
        // the full timeline: 30 s measured, crash at 10 s, slowdown at 15 s; quick runs the same, five times faster
        double scale = settings.pick(0.2, 1.0);
        double crashAt = 10 * scale;
        double slowAt = 15 * scale;
        double end = 30 * scale;
        double[] windows = {0, crashAt, slowAt, 20 * scale, end};
        Duration warmUp = settings.pick(Duration.ofSeconds(1), Duration.ofSeconds(5));
        Duration timeout = settings.pick(Duration.ofSeconds(4), Duration.ofSeconds(15));
        BackendSpec gpu = FLEET.get(0);
        double perServer = gpu.requestsPerSecond(CHATS.promptTokens(), CHATS.outputTokens());
        double rate = LOAD * perServer * FLEET.size();
        double afterFaults = perServer * (FLEET.size() - 2) + perServer / SLOW_FACTOR;
        report.note(String.format("Fleet: %d × (%s), %.1f req/s each (%.0f ms a request). Non-streamed chat completions, "
                + "%d-word prompts, `max_tokens` %d, open-loop Poisson at %.0f %% of capacity = **%.1f req/s**; %d s "
                + "warm-up, then %.0f s measured: b0 crashes at %.0f s, b1 turns %.0f× slower at %.0f s. Requests "
                + "unanswered after %d s count as `timeout` errors. After both faults the fleet can still do "
                + "%.1f req/s, against the %.1f req/s offered (%.0f %%): the last windows show recovery, not "
                + "overload. HAProxy retries "
                + "(`retries 2`, `option redispatch`, `retry-on conn-failure empty-response response-timeout 503`) "
                + "and checks health every second (`fall 2 rise 1`), as ilb does.",
                FLEET.size(), gpu, perServer, gpu.serviceMillis(CHATS.promptTokens(), CHATS.outputTokens()),
                CHATS.promptWords(), CHATS.outputTokens(),
                LOAD * 100, rate, warmUp.toSeconds(), end, crashAt, SLOW_FACTOR, slowAt, timeout.toSeconds(),
                afterFaults, rate, 100 * rate / afterFaults));

        List<Run> runs = new ArrayList<>();
        Map<String, String> unavailable = new LinkedHashMap<>();
        for (String system : Lineups.FAULTS) {
            try (Testbed testbed = Testbed.start(system, FLEET, timeout, settings)) {
                Fleet fleet = testbed.fleet();
                Latencies latencies = testbed.run(CHATS.workload(0), rate, warmUp, Scenario.seconds(end), 1,
                        new Testbed.Event(Scenario.seconds(crashAt), () -> fleet.simulator(0).crash()),
                        new Testbed.Event(Scenario.seconds(slowAt), () -> fleet.simulator(1).faults().slowFactor(SLOW_FACTOR)))
                        .latencies();
                runs.add(new Run(system, latencies));
            } catch (SystemUnavailable e) {
                unavailable.put(system, Scenario.unavailable(e));
            }
        }

        Table errors = new Table("client-visible errors").column("system").column("requests", "%d")
                .column("errors", "%d").column("error %", "%.2f").column("by kind");
        Table tails = new Table("p99 end-to-end latency (ms) and errors, by window of the measured phase");
        tails.column("system");
        for (int w = 0; w + 1 < windows.length; w++) {
            tails.column(String.format("%.0f–%.0f s p99", windows[w], windows[w + 1]), "%.0f")
                    .column(String.format("%.0f–%.0f s errors", windows[w], windows[w + 1]), "%d");
        }
        Map<String, List<double[]>> overTime = new LinkedHashMap<>();
        for (Run run : runs) {
            Latencies l = run.latencies();
            errors.row(run.system(), l.count(), l.errorCount(), 100.0 * l.errorCount() / l.count(),
                    l.errors());
            List<Object> row = new ArrayList<>(List.of(run.system()));
            for (int w = 0; w + 1 < windows.length; w++) {
                Latencies window = l.window(windows[w], windows[w + 1]);
                row.add(window.e2eMillis(99));
                row.add(window.errorCount());
            }
            tails.row(row.toArray());
            overTime.put(run.system(), l.e2eP99PerSecond(end, timeout));
        }
        unavailable.forEach((system, reason) -> {
            errors.row(system + " (" + reason + ")", null, null, null, null);
            Object[] row = new Object[2 * (windows.length - 1) + 1];
            row[0] = system + " (" + reason + ")";
            tails.row(row);
        });
        report.table(errors);
        report.table(tails);
        report.note("Requests fall in the window of the time they were due. Percentiles are of all requests, a failed "
                + "one counting as slower than any answer (∞: the p99 request failed). Requests due shortly before the "
                + "crash and still running on b0 when it dies show in the first window.");

        var png = report.chartFile("p99-over-time");
        Charts.lines(png, String.format("S4: p99 e2e per second (b0 crashes at %.0f s, b1 %.0f× slow at %.0f s; "
                + "failed p99 drawn at the %d s timeout)", crashAt, SLOW_FACTOR, slowAt, timeout.toSeconds()),
                "seconds into the measured phase", "p99 e2e (ms, log scale)", true, overTime);
        report.chart(png, "p99 e2e over time per system");
        report.data("p99 e2e per second (ms, failed p99 at the timeout)", overTime);
    }
}
