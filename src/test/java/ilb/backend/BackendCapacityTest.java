package ilb.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/** A backend's concurrency limit: written in its route file, or learned; what reads it and what feeds it. */
class BackendCapacityTest {

    @Test
    void aCapacityWrittenIsTheLimitWhateverRequestsExperience() {
        Backend backend = Backends.backend("a", 1, 2);
        assertThat(backend.capacity()).isEqualTo(2);
        assertThat(backend.capacitySource()).isEqualTo(CapacitySource.CONFIGURED);
        for (int i = 0; i < 20; i++) {
            backend.observed(10_000_000_000L, 2, true, System.nanoTime());
        }
        Backends.reports(backend, 5, 1, 0.1, 0.05, 0.01, 1);
        assertThat(backend.capacity()).isEqualTo(2);
        Backends.occupy(backend, 2);
        assertThat(backend.availability(System.nanoTime())).isEqualTo(Backend.Availability.FULL);
        assertThat(backend.tryAcquire()).isNull();
    }

    @Test
    void withoutOneTheLimitIsLearnedFromASmallStart() {
        Backend backend = Backends.backend("b", 1, 0);
        assertThat(backend.capacitySource()).isEqualTo(CapacitySource.LEARNED);
        assertThat(backend.capacity()).isEqualTo(LearnedCapacity.INITIAL);
        Backends.occupy(backend, LearnedCapacity.INITIAL - 1);
        assertThat(backend.availability(System.nanoTime())).isEqualTo(Backend.Availability.AVAILABLE);
        Backends.occupy(backend, 1);
        assertThat(backend.availability(System.nanoTime())).isEqualTo(Backend.Availability.FULL);
        assertThat(backend.tryAcquire()).isNull();
    }

    @Test
    void theServersMetricsSetTheLearnedLimitAndARiseLetsWaitingRequestsGo() {
        Backend backend = Backends.backend("c", 1, 0);
        AtomicInteger releases = new AtomicInteger();
        backend.onRelease(releases::incrementAndGet);
        Backends.occupy(backend, 3);
        Backends.reports(backend, 2, 3, 0.1, 0.05, 0.01, 1);
        assertThat(backend.capacity()).isEqualTo(3);
        assertThat(backend.availability(System.nanoTime())).isEqualTo(Backend.Availability.FULL);
        assertThat(releases).hasValue(0);

        Backends.reports(backend, 2, 9, 0.1, 0.05, 0.01, 1);
        assertThat(backend.capacity()).isEqualTo(6);
        assertThat(releases).hasValue(1);
        assertThat(backend.availability(System.nanoTime())).isEqualTo(Backend.Availability.AVAILABLE);
    }

    @Test
    void leasesFeedTheLearnedLimitWithTheRequestsInFlightWhenTheyWereSent() {
        Backend backend = Backends.backend("d", 1, 0);
        List<Lease> leases = new ArrayList<>();
        for (int i = 0; i < LearnedCapacity.INITIAL; i++) {
            leases.add(backend.tryAcquire());
        }
        // one window, sent up to the limit, at the latency that is its own baseline: the limit was used, and grows
        for (Lease lease : leases) {
            lease.end(Lease.Outcome.SERVED);
        }
        assertThat(backend.capacity()).isEqualTo(LearnedCapacity.INITIAL + 1);
    }

    @Test
    void leasesSentFarBelowTheLimitDoNotGrowIt() {
        Backend backend = Backends.backend("e", 1, 0);
        for (int i = 0; i < 3 * LearnedCapacity.INITIAL; i++) {
            Lease lease = backend.tryAcquire();
            lease.end(Lease.Outcome.SERVED);
        }
        assertThat(backend.capacity()).isEqualTo(LearnedCapacity.INITIAL);
    }

    @Test
    void aReloadThatWritesOrRemovesTheCapacitySwitchesItsSourceAndTellsWhoListens() {
        Backend backend = Backends.backend("f", 1, 0);
        AtomicInteger settingChanges = new AtomicInteger();
        AtomicInteger releases = new AtomicInteger();
        backend.onCapacitySetting(settingChanges::incrementAndGet);
        backend.onRelease(releases::incrementAndGet);

        Backends.rewriteCapacity(backend, 8);
        assertThat(backend.capacitySource()).isEqualTo(CapacitySource.CONFIGURED);
        assertThat(backend.capacity()).isEqualTo(8);
        assertThat(settingChanges).hasValue(1);
        assertThat(releases).hasValue(1);

        Backends.rewriteCapacity(backend, 8);
        assertThat(settingChanges).hasValue(1);

        Backends.rewriteCapacity(backend, 0);
        assertThat(backend.capacitySource()).isEqualTo(CapacitySource.LEARNED);
        assertThat(backend.capacity()).isEqualTo(LearnedCapacity.INITIAL);
        assertThat(settingChanges).hasValue(2);
    }
}
