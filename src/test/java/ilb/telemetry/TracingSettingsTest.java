package ilb.telemetry;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Tracing is on only when an OTLP endpoint is set, and the SDK not disabled. */
class TracingSettingsTest {

    @AfterEach
    void clear() {
        System.clearProperty("otel.exporter.otlp.endpoint");
        System.clearProperty("otel.exporter.otlp.traces.endpoint");
        System.clearProperty("otel.sdk.disabled");
    }

    @Test
    void offWithoutAnEndpoint() {
        assertThat(Tracing.configured()).isFalse();
        assertThat(Tracing.fromEnvironment()).isNull();
    }

    @Test
    void onWithAnEndpointForAllSignalsOrForTraces() {
        System.setProperty("otel.exporter.otlp.endpoint", "http://127.0.0.1:4318");
        assertThat(Tracing.configured()).isTrue();
        System.clearProperty("otel.exporter.otlp.endpoint");
        System.setProperty("otel.exporter.otlp.traces.endpoint", "http://127.0.0.1:4318/v1/traces");
        assertThat(Tracing.configured()).isTrue();
    }

    @Test
    void offWhenTheSdkIsDisabled() {
        System.setProperty("otel.exporter.otlp.endpoint", "http://127.0.0.1:4318");
        System.setProperty("otel.sdk.disabled", "true");
        assertThat(Tracing.configured()).isFalse();
    }
}
