package ilb.balancer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ilb.backend.Backend;
import ilb.backend.Backends;
import org.junit.jupiter.api.Test;

class SpareCapacityTest {

    private final SpareCapacity spare = new SpareCapacity(0.25);

    @Test
    void batchJobsLeaveTheReserveOfEachBackendToInteractiveRequests() {
        Backend backend = Backends.backend("a", 1, 8);
        Backends.occupy(backend, 5);
        assertThat(spare.allows(BackendState.of(backend, System.nanoTime()), SloTargets.NONE)).isTrue();
        Backends.occupy(backend, 1);
        // 6 of 8 in flight: the last quarter is kept for interactive requests
        assertThat(spare.allows(BackendState.of(backend, System.nanoTime()), SloTargets.NONE)).isFalse();
    }

    @Test
    void anIdleBackendOfCapacityOneStillTakesABatchJob() {
        Backend backend = Backends.backend("a", 1, 1);
        assertThat(spare.allows(BackendState.of(backend, System.nanoTime()), SloTargets.NONE)).isTrue();
        Backends.occupy(backend, 1);
        assertThat(spare.allows(BackendState.of(backend, System.nanoTime()), SloTargets.NONE)).isFalse();
    }

    @Test
    void noBatchJobForABackendWhoseOwnQueueIsNotEmpty() {
        Backend backend = Backends.backend("a", 1, 64);
        Backends.reports(backend, 2, 8, 0.5, 0.05, 0.01, 1);
        assertThat(spare.allows(BackendState.of(backend, System.nanoTime()), SloTargets.NONE)).isFalse();
        Backends.reports(backend, 0, 8, 0.5, 0.05, 0.01, 1);
        assertThat(spare.allows(BackendState.of(backend, System.nanoTime()), SloTargets.NONE)).isTrue();
        // a queue reported long ago is not believed
        Backends.reportedLongAgo(backend, 5);
        assertThat(spare.allows(BackendState.of(backend, System.nanoTime()), SloTargets.NONE)).isTrue();
    }

    @Test
    void noBatchJobForABackendForecastToMissTheLatencyTargets() {
        Backend backend = Backends.backend("a", 1, 64);
        Backends.reports(backend, 0, 8, 0.5, 0.05, 0.080, 1);
        assertThat(spare.allows(BackendState.of(backend, System.nanoTime()), new SloTargets(0, 50))).isFalse();
        assertThat(spare.allows(BackendState.of(backend, System.nanoTime()), new SloTargets(0, 100))).isTrue();
    }

    @Test
    void theReserveIsAShareBelowOne() {
        assertThatThrownBy(() -> new SpareCapacity(1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SpareCapacity(-0.1)).isInstanceOf(IllegalArgumentException.class);
    }
}
