package ilb.telemetry;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Traces requests with the OpenTelemetry SDK, configured by the standard {@code OTEL_*} variables (or {@code otel.*}
 * system properties): a span per request and per backend attempt ({@link RequestTrace}), exported over OTLP. On only
 * when an OTLP endpoint is set; otherwise there is no {@code Tracing} at all and no request pays for it.
 * <p>
 * Not camel-opentelemetry2: its span per processor and exchange would cost every request on the hot path, while ilb
 * needs one span per request and per attempt, which its own hooks give. The SDK is flushed and shut down when Camel
 * stops.
 */
public final class Tracing extends ServiceSupport {

    private static final Logger LOG = LoggerFactory.getLogger(Tracing.class);
    /**
     * Defaults below the user's {@code OTEL_*} variables and {@code otel.*} properties: traces only, as "ilb", over
     * OTLP/HTTP (the specification's default; the Java SDK's own is gRPC).
     */
    private static final Map<String, String> DEFAULTS = Map.of("otel.service.name", "ilb",
            "otel.traces.exporter", "otlp", "otel.metrics.exporter", "none", "otel.logs.exporter", "none",
            "otel.exporter.otlp.protocol", "http/protobuf");
    /** The SDK's own defaults, for the line that says how tracing is set. */
    private static final Map<String, String> SDK_DEFAULTS = Map.of("otel.traces.sampler", "parentbased_always_on");

    private final OpenTelemetrySdk sdk;
    private final Tracer tracer;

    private Tracing(OpenTelemetrySdk sdk) {
        this.sdk = sdk;
        this.tracer = sdk.getTracer("ilb");
    }

    /** Tracing as the environment configures it, or null when it sets no OTLP endpoint (or disables the SDK). */
    public static Tracing fromEnvironment() {
        if (!configured()) {
            return null;
        }
        AutoConfiguredOpenTelemetrySdk configured = AutoConfiguredOpenTelemetrySdk.builder()
                .addPropertiesSupplier(() -> DEFAULTS)
                // shut down with Camel, after the last requests, not by a JVM hook of its own
                .disableShutdownHook()
                .build();
        String endpoint = setting("otel.exporter.otlp.traces.endpoint");
        String protocol = setting("otel.exporter.otlp.traces.protocol");
        LOG.info("Tracing on: spans of {} to {} over OTLP {}, sampler {}",
                orDefault("otel.service.name"), endpoint != null ? endpoint : setting("otel.exporter.otlp.endpoint"),
                protocol != null ? protocol : orDefault("otel.exporter.otlp.protocol"),
                orDefault("otel.traces.sampler"));
        return new Tracing(configured.getOpenTelemetrySdk());
    }

    /** Whether an OTLP endpoint is set, as a system property or an environment variable, and the SDK not disabled. */
    static boolean configured() {
        if ("true".equalsIgnoreCase(setting("otel.sdk.disabled"))) {
            return false;
        }
        return setting("otel.exporter.otlp.endpoint") != null || setting("otel.exporter.otlp.traces.endpoint") != null;
    }

    private static String orDefault(String property) {
        String value = setting(property);
        return value != null ? value : DEFAULTS.getOrDefault(property, SDK_DEFAULTS.get(property));
    }

    private static String setting(String property) {
        String value = System.getProperty(property);
        if (value == null) {
            value = System.getenv(property.toUpperCase().replace('.', '_'));
        }
        return value == null || value.isBlank() ? null : value;
    }

    /**
     * The trace of a request that has just arrived, a child of the client's {@code traceparent} if it sent one; null
     * if the sampler leaves it out (then the client's trace context goes to the backends unchanged).
     */
    RequestTrace start(RequestRecord.Entry entry, String spanName, String traceparent, String tracestate) {
        Context parent = TraceContext.parent(traceparent, tracestate);
        Span span = tracer.spanBuilder(spanName).setParent(parent)
                .setSpanKind(entry == RequestRecord.Entry.BATCH ? SpanKind.CONSUMER : SpanKind.SERVER)
                .setAttribute("ilb.entry", entry.label()).startSpan();
        if (!span.isRecording()) {
            return null;
        }
        return new RequestTrace(tracer, span, parent.with(span));
    }

    @Override
    protected void doStop() {
        // what is still batched goes out now
        sdk.shutdown().join(10, TimeUnit.SECONDS);
    }
}
