package ilb.telemetry;

import java.util.Map;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TraceContextTest {

    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    @Test
    void theClientsTraceparentIsTheParent() {
        SpanContext parent = Span.fromContext(TraceContext.parent(TRACEPARENT, "vendor=1")).getSpanContext();

        assertThat(parent.isValid()).isTrue();
        assertThat(parent.isRemote()).isTrue();
        assertThat(parent.getTraceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
        assertThat(parent.getSpanId()).isEqualTo("00f067aa0ba902b7");
        assertThat(parent.getTraceState().get("vendor")).isEqualTo("1");
    }

    @Test
    void noneOrAMalformedOneStartsATraceOfItsOwn() {
        assertThat(TraceContext.parent(null, null)).isSameAs(Context.root());
        assertThat(Span.fromContext(TraceContext.parent("00-not-a-trace-01", null)).getSpanContext().isValid())
                .isFalse();
    }

    @Test
    void theBackendGetsTheSpansTraceContextInPlaceOfTheClients() {
        SpanContext attempt = SpanContext.create("4bf92f3577b34da6a3ce929d0e0e4736", "b7ad6b7169203331",
                TraceFlags.getSampled(), TraceState.getDefault());

        Map<String, String> sent = TraceContext.withSpan(Map.of("traceparent", TRACEPARENT, "tracestate", "vendor=1",
                "x-request-id", "r1"), Span.wrap(attempt));

        assertThat(sent).containsEntry("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01")
                .containsEntry("x-request-id", "r1").doesNotContainKey("tracestate");
    }
}
