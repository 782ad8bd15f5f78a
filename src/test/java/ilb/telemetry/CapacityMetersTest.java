package ilb.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import ilb.backend.Backend;
import ilb.backend.Backends;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** {@code ilb_backend_capacity}: one series per backend, labelled with where its limit comes from now. */
class CapacityMetersTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void aBackendsCapacityIsOneSeriesUnderTheSourceItHasNow() {
        Backend backend = Backends.backend("gpu-0", 1, 0);
        IlbMeters.backend(registry, backend);
        assertThat(series(backend)).isEqualTo(1);
        assertThat(value(backend, "learned")).isEqualTo(4);

        Backends.reports(backend, 1, 3, 0.1, 0.05, 0.01, 1);
        assertThat(value(backend, "learned")).isEqualTo(3);

        Backends.rewriteCapacity(backend, 16);
        assertThat(series(backend)).isEqualTo(1);
        assertThat(value(backend, "configured")).isEqualTo(16);

        Backends.rewriteCapacity(backend, 0);
        assertThat(series(backend)).isEqualTo(1);
        assertThat(value(backend, "learned")).isEqualTo(3);
    }

    private int series(Backend backend) {
        return registry.find("ilb.backend.capacity").tag("backend", backend.id()).gauges().size();
    }

    private double value(Backend backend, String source) {
        Gauge gauge = registry.find("ilb.backend.capacity").tag("backend", backend.id()).tag("source", source)
                .tag("protocol", "http").gauge();
        assertThat(gauge).as("series with source " + source).isNotNull();
        return gauge.value();
    }
}
