package ilb.balancer;

import java.util.concurrent.TimeUnit;

import ilb.backend.Backend;
import ilb.backend.Backend.Availability;
import ilb.backend.BackendTelemetry;
import ilb.backend.Backends;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A backend's state, read once from the live backend, and what it makes of it. */
class BackendStateTest {

    private final Backend backend = Backends.backend("b", 1, 4);

    private BackendState now() {
        return BackendState.of(backend, System.nanoTime());
    }

    @Test
    void anIdleBackendIsAvailableUpToItsConcurrencyLimit() {
        BackendState idle = now();
        assertThat(idle.availability(false)).isEqualTo(Availability.AVAILABLE);
        assertThat(idle.limit()).isEqualTo(4);
        assertThat(idle.inFlight()).isZero();
        assertThat(idle.zone()).isEmpty();
        assertThat(idle.telemetry()).isSameAs(BackendTelemetry.NONE);

        Backends.occupy(backend, 3);
        assertThat(now().inFlight()).isEqualTo(3);
        assertThat(now().availability(false)).isEqualTo(Availability.AVAILABLE);
        Backends.occupy(backend, 1);
        assertThat(now().availability(false)).isEqualTo(Availability.FULL);
        assertThat(now().inRotation()).isTrue();
    }

    @Test
    void itReadsEachReasonTheBackendCannotTakeARequest() {
        backend.drain();
        assertThat(now().availability(false)).isEqualTo(Availability.DRAINED);
        backend.undrain();

        backend.markDown("refused");
        assertThat(now().availability(false)).isEqualTo(Availability.DOWN);
        assertThat(now().inRotation()).isFalse();
        backend.markUp();

        backend.breaker().transitionToOpenState();
        assertThat(now().availability(false)).isEqualTo(Availability.BREAKER_OPEN);
        backend.breaker().transitionToForcedOpenState();
        assertThat(now().availability(false)).isEqualTo(Availability.BREAKER_OPEN);
        backend.breaker().transitionToClosedState();

        backend.coolFor(60_000);
        BackendState cooling = now();
        assertThat(cooling.availability(false)).isEqualTo(Availability.COOLING);
        assertThat(cooling.coolingNanos()).isBetween(1L, TimeUnit.SECONDS.toNanos(60));
        assertThat(cooling.inRotation()).isTrue();
    }

    @Test
    void itReadsTheBackendsMetricsWhileTheyAreFresh() {
        Backends.reports(backend, 2, 4, 0.5, 0.1, 0.01, 1);
        assertThat(now().telemetry().waiting()).isEqualTo(2);

        Backends.reportedLongAgo(backend, 5);
        assertThat(now().telemetry()).isSameAs(BackendTelemetry.NONE);
    }

    @Test
    void anEjectedBackendIsAvailableOnlyInPanicMode() {
        BackendState ejected = new BackendState(backend, "", false, false, true, false, 0, 0, 4,
                BackendTelemetry.NONE);

        assertThat(ejected.availability(false)).isEqualTo(Availability.EJECTED);
        assertThat(ejected.availability(true)).isEqualTo(Availability.AVAILABLE);
        assertThat(ejected.inRotation()).isFalse();
    }

    @Test
    void theMostLastingReasonComesFirst() {
        assertThat(Availability.of(true, true, true, true, true, true)).isEqualTo(Availability.DRAINED);
        assertThat(Availability.of(false, true, true, true, true, true)).isEqualTo(Availability.DOWN);
        assertThat(Availability.of(false, false, true, true, true, true)).isEqualTo(Availability.EJECTED);
        assertThat(Availability.of(false, false, false, true, true, true)).isEqualTo(Availability.BREAKER_OPEN);
        assertThat(Availability.of(false, false, false, false, true, true)).isEqualTo(Availability.COOLING);
        assertThat(Availability.of(false, false, false, false, false, true)).isEqualTo(Availability.FULL);
        assertThat(Availability.of(false, false, false, false, false, false)).isEqualTo(Availability.AVAILABLE);
    }

    @Test
    void onceItRefusedALeaseItIsFull() {
        BackendState refused = now().full();

        assertThat(refused.availability(false)).isEqualTo(Availability.FULL);
        assertThat(refused.inFlight()).isEqualTo(4);
    }
}
