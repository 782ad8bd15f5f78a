package ilb.balancer;

import ilb.backend.Backend;
import org.junit.jupiter.api.Test;

import static ilb.backend.Backends.backend;
import static ilb.backend.Backends.reportedLongAgo;
import static ilb.backend.Backends.reports;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class SloTargetsTest {

    private final SloTargets targets = new SloTargets(500, 50);
    private final Backend backend = backend("b", 1, 16);

    @Test
    void theForecastAddsARoundOfTheQueueForEachBatchOfWaitingRequests() {
        reports(backend, 8, 16, 0.5, 0.1, 0.02, 1.2);

        LatencyForecast forecast = LatencyForecast.of(backend.telemetry(System.nanoTime()));

        assertThat(forecast.ttftSeconds()).isCloseTo(0.1 + 0.5 * 1.2, within(1e-9));
        assertThat(forecast.tpotSeconds()).isEqualTo(0.02);
    }

    @Test
    void aBackendBreaksTheTargetsWhenEitherForecastIsOver() {
        reports(backend, 0, 4, 0, 0.2, 0.02, 1);
        assertThat(targets.brokenBy(backend.telemetry(System.nanoTime()))).isFalse();

        reports(backend, 0, 4, 0, 0.6, 0.02, 1);
        assertThat(targets.brokenBy(backend.telemetry(System.nanoTime()))).isTrue();

        reports(backend, 0, 4, 0, 0.2, 0.08, 1);
        assertThat(targets.brokenBy(backend.telemetry(System.nanoTime()))).isTrue();

        reports(backend, 4, 4, 0, 0.2, 0.02, 1);
        assertThat(targets.brokenBy(backend.telemetry(System.nanoTime()))).isTrue();
    }

    @Test
    void withoutAForecastOrWithoutTargetsNothingIsBroken() {
        reportedLongAgo(backend, 100);
        assertThat(targets.brokenBy(backend.telemetry(System.nanoTime()))).isFalse();

        reports(backend, 100, 4, 1, 9, 9, 9);
        assertThat(SloTargets.NONE.brokenBy(backend.telemetry(System.nanoTime()))).isFalse();
        assertThat(SloTargets.from(PoolOptions.parse("scored?sloTtft=800ms")).holdMillis()).isEqualTo(400);
    }
}
