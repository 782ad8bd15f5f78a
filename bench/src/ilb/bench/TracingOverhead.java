package ilb.bench;

import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.stream.Collectors;

/**
 * S1c: S1's saturation and added latency ({@link ProxyOverhead#measure}) for ilb with OpenTelemetry tracing off, on
 * for every request, and on for 1 % of them, and an earlier build of ilb (before tracing), as ratios to tracing off. Each traced ilb exports its spans over
 * OTLP/HTTP to an {@link OtlpSink} of its own, whose counts show that tracing was really on.
 */
final class TracingOverhead implements Scenario {

    private static final String BASELINE = "ilb least-request";
    private static final List<Integer> RATES = List.of(500, 1000);
    /**
     * How long the sinks are given after the last phase before they are read: the OTel SDK's batch span processor
     * exports every 5 s by default, so the last ilb's spans may not have left it yet.
     */
    private static final long EXPORT_WAIT_MILLIS = 6_000;

    @Override
    public String id() {
        return "s1c-tracing";
    }

    @Override
    public String title() {
        return "S1c tracing overhead";
    }

    @Override
    public void run(BenchSettings settings, Report report) throws InterruptedException {
        ProxyCost cost = ProxyOverhead.cost("S1c", BASELINE, RATES, settings);
        report.note(ProxyOverhead.setup() + " ilb `least-request` three ways: tracing off (no OTel endpoint set), "
                + "`tracing=1` (every request traced) and `tracing=0.01` (1 %). A traced ilb gets the standard OTel "
                + "variables: `OTEL_EXPORTER_OTLP_ENDPOINT` a sink the bench runs on loopback for it (it answers 200 "
                + "to every POST and counts what it got), `OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf`, "
                + "`OTEL_TRACES_SAMPLER=parentbased_traceidratio` with `OTEL_TRACES_SAMPLER_ARG` the share (the client "
                + "sends no `traceparent`, so every request is a root and the ratio decides), `OTEL_SERVICE_NAME`, and "
                + "`OTEL_METRICS_EXPORTER=none`, `OTEL_LOGS_EXPORTER=none` so that tracing alone is measured; no ilb "
                + "inherits the bench's own `OTEL_*` variables. `ilb least-request earlier` is the same ilb built from "
                + "an earlier commit (`bench/run s1c --earlier <commit>`; not available without): run before "
                + "tracing existed, it shows what tracing's code costs while off. Ratios are to tracing off. "
                + cost.method());
        ProxyOverhead.measure(cost, Lineups.TRACING_OVERHEAD, settings, report, systems -> sinkTable(report, systems));
    }

    /** What each ilb exported, and whether tracing was on where it should be. */
    private static void sinkTable(Report report, SideBySide systems) {
        try {
            Thread.sleep(EXPORT_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Table table = new Table("what each ilb exported to its OTLP sink over the run")
                .column("system").column("traced").column("POST " + OtlpSink.TRACES, "%d").column("KB", "%.1f")
                .column("other paths");
        boolean fullTracingExportedNothing = false;
        for (var entry : systems.testbeds().entrySet()) {
            String system = entry.getKey();
            if (!IlbSpec.names(system)) {
                continue;
            }
            OptionalDouble share = IlbSpec.parse(system).tracing();
            if (!(entry.getValue().system() instanceof IlbProcess.Traced traced)) {
                table.row(system, "off (no endpoint)", null, null, null);
                continue;
            }
            OtlpSink.Received spans = traced.sink().received(OtlpSink.TRACES);
            Map<String, OtlpSink.Received> others = traced.sink().all();
            others.remove(OtlpSink.TRACES);
            table.row(system, share.getAsDouble() * 100 + " %", spans.requests(),
                    spans.bytes() / 1024.0, others.isEmpty() ? "none" : others.entrySet().stream()
                            .map(o -> o.getKey() + " " + o.getValue().requests()).collect(Collectors.joining(", ")));
            if (share.getAsDouble() >= 1 && spans.requests() == 0) {
                fullTracingExportedNothing = true;
            }
        }
        report.table(table);
        report.note("Counted " + EXPORT_WAIT_MILLIS / 1000 + " s after the last phase (the SDK exports in batches, "
                + "every 5 s by default); a batch holds many spans, and at saturation an ilb tracing every request may "
                + "drop spans its export queue has no room for."
                + (fullTracingExportedNothing ? " **The ilb tracing every request exported nothing: tracing was not on (an ilb "
                        + "without OpenTelemetry ignores the variables), so the ratios above are not tracing's cost.**"
                        : ""));
    }
}
