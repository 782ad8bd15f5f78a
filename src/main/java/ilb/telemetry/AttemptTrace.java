package ilb.telemetry;

import ilb.inference.BackendStream;
import ilb.inference.HttpReply;
import ilb.inference.ApiError;
import ilb.inference.InferenceMessage;
import ilb.inference.InferenceRequest;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;

/**
 * The CLIENT span of one attempt at a backend: the request goes to the backend under its trace context, and the span
 * ends with the attempt's outcome, a stream's at its end (its first token an event, {@code first_token}).
 */
public final class AttemptTrace {

    private static final AttributeKey<Double> TTFT_MS = AttributeKey.doubleKey("ilb.ttft_ms");

    private final Span span;
    private final long sentNanos = System.nanoTime();

    AttemptTrace(Span span) {
        this.span = span;
    }

    /** The request as the backend gets it: with this attempt's {@code traceparent}, not the client's. */
    public InferenceRequest sent(InferenceRequest request) {
        return request.withHeaders(TraceContext.withSpan(request.headers(), span));
    }

    /** What the backend answered, or null if the attempt ended in an exception. */
    public void answered(InferenceMessage response) {
        if (response == null) {
            span.setAttribute("ilb.outcome", "error");
            span.setStatus(StatusCode.ERROR);
            span.end();
            return;
        }
        if (response instanceof HttpReply reply) {
            span.setAttribute("http.response.status_code", reply.status());
        } else if (response instanceof ApiError error) {
            span.setAttribute("http.response.status_code", error.status());
        }
        if (response instanceof BackendStream stream) {
            double ttft = RequestTrace.millis(System.nanoTime() - sentNanos);
            span.setAttribute(TTFT_MS, ttft);
            span.addEvent("first_token", Attributes.of(TTFT_MS, ttft));
            span.setAttribute("http.response.status_code", stream.status());
            stream.whenDone(normally -> end(normally ? "success" : "stream_interrupted"));
            return;
        }
        end(RequestMeters.outcome(response));
    }

    private void end(String outcome) {
        span.setAttribute("ilb.outcome", outcome);
        if (!outcome.equals("success")) {
            span.setStatus(StatusCode.ERROR, outcome);
        }
        span.end();
    }
}
