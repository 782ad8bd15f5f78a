package ilb.telemetry;

import java.util.HashMap;
import java.util.Map;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;

/** W3C trace context ({@code traceparent}, {@code tracestate}) in from clients, and out to backends. */
final class TraceContext {

    static final String TRACEPARENT = "traceparent";
    static final String TRACESTATE = "tracestate";

    private static final TextMapGetter<Map<String, String>> FROM_MAP = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    private TraceContext() {
    }

    /** The client's trace context, or the root when it sent none (or a malformed one). */
    static Context parent(String traceparent, String tracestate) {
        if (traceparent == null) {
            return Context.root();
        }
        Map<String, String> carrier = new HashMap<>(4);
        carrier.put(TRACEPARENT, traceparent);
        if (tracestate != null) {
            carrier.put(TRACESTATE, tracestate);
        }
        return W3CTraceContextPropagator.getInstance().extract(Context.root(), carrier, FROM_MAP);
    }

    /**
     * {@code headers} with the trace context of {@code span} in place of the client's: the backend's spans become
     * children of ilb's attempt.
     */
    static Map<String, String> withSpan(Map<String, String> headers, Span span) {
        Map<String, String> sent = new HashMap<>(headers);
        sent.remove(TRACESTATE);
        W3CTraceContextPropagator.getInstance().inject(Context.root().with(span), sent, Map::put);
        return sent;
    }
}
