package ilb.telemetry;

import java.util.concurrent.TimeUnit;

import ilb.backend.Backend;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.Clock;

/**
 * One sampled request's spans: its own (SERVER, or CONSUMER for a batch job), a child {@code queue} span if it
 * waited in its pool's queue, and a CLIENT child per backend attempt ({@link AttemptTrace}). Its attributes come from
 * the request's {@link RequestRecord} when it ends: what the access log says, under OpenTelemetry's names where there
 * are some ({@code gen_ai.*}, {@code http.response.status_code}) and {@code ilb.*} for the rest.
 */
final class RequestTrace {

    private final Tracer tracer;
    private final Span span;
    private final Context context;
    /** {@link #span}'s start, on both clocks: a {@link System#nanoTime()} converts to the epoch nanos spans take. */
    private final long startEpochNanos = Clock.getDefault().now();
    private final long startNanoTime = System.nanoTime();

    RequestTrace(Tracer tracer, Span span, Context context) {
        this.tracer = tracer;
        this.span = span;
        this.context = context;
    }

    void queued(long fromNanos, long toNanos) {
        tracer.spanBuilder("queue").setParent(context).setSpanKind(SpanKind.INTERNAL)
                .setStartTimestamp(epochNanos(fromNanos), TimeUnit.NANOSECONDS).startSpan()
                .end(epochNanos(toNanos), TimeUnit.NANOSECONDS);
    }

    AttemptTrace attempt(Backend backend, int number, boolean hedge) {
        Span attempt = tracer.spanBuilder("attempt " + backend.id()).setParent(context).setSpanKind(SpanKind.CLIENT)
                .setAttribute("ilb.backend", backend.id())
                .setAttribute("ilb.backend.tier", backend.settings().tier())
                .setAttribute("ilb.attempt", number)
                .setAttribute("ilb.hedge", hedge)
                .setAttribute("server.address", backend.settings().host())
                .setAttribute("server.port", backend.settings().port())
                .startSpan();
        return new AttemptTrace(attempt);
    }

    void ended(RequestRecord record) {
        set("ilb.request_id", record.requestId());
        set("ilb.tenant", record.tenant());
        set("gen_ai.request.model", record.model());
        set("ilb.model.version", record.version());
        set("ilb.priority", record.priority());
        span.setAttribute("ilb.stream", record.stream());
        set("ilb.outcome", record.outcome());
        span.setAttribute("http.response.status_code", record.status());
        set("ilb.backend", record.backend());
        span.setAttribute("ilb.attempts", record.attempts());
        if (record.queueWaitNanos() >= 0) {
            span.setAttribute("ilb.queue.wait_ms", millis(record.queueWaitNanos()));
        }
        if (record.ttftNanos() >= 0) {
            span.setAttribute("ilb.ttft_ms", millis(record.ttftNanos()));
        }
        if (record.promptTokens() >= 0) {
            span.setAttribute("gen_ai.usage.input_tokens", record.promptTokens());
            span.setAttribute("gen_ai.usage.output_tokens", record.completionTokens());
        }
        if (record.status() >= 500) {
            span.setStatus(StatusCode.ERROR, record.outcome());
        }
        span.end();
    }

    private void set(String key, String value) {
        if (value != null) {
            span.setAttribute(key, value);
        }
    }

    static double millis(long nanos) {
        return nanos / 1e6;
    }

    private long epochNanos(long nanoTime) {
        return startEpochNanos + (nanoTime - startNanoTime);
    }
}
