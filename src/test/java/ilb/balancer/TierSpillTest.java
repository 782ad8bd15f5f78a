package ilb.balancer;

import java.io.InputStream;

import ilb.Appliance;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static ilb.Appliance.counts;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Prioritized tiers: the lowest tier that can take a request wins; the next tier takes only what it cannot. */
class TierSpillTest {

    private final Servers servers = new Servers();

    @AfterEach
    void stop() throws Exception {
        servers.close();
    }

    @Test
    void theLowestTierTakesEverythingItCan() {
        SimulatedBackend gpu = servers.fastBackend();
        SimulatedBackend cpu = servers.fastBackend();
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("gpu", gpu, "tier: 0"),
                backend("cpu", cpu, "tier: 1")));

        assertThat(counts(ilb.servedBy(20))).containsEntry("gpu", 20L);
        assertThat(cpu.inferenceRequests()).isZero();
    }

    @Test
    void spillsToTheNextTierWhileTheFirstIsFull() throws Exception {
        SimulatedBackend gpu = servers.fastBackend();
        SimulatedBackend cpu = servers.fastBackend();
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("gpu", gpu, "tier: 0", "capacity: 1"),
                backend("cpu", cpu, "tier: 1")));

        InputStream longStream = ilb.openStream("m", 100_000).body();
        assertThat(ilb.backend("gpu").inFlight()).isEqualTo(1);
        assertThat(counts(ilb.servedBy(5))).containsEntry("cpu", 5L);

        longStream.close();
        await().until(() -> ilb.backend("gpu").inFlight() == 0);
        assertThat(counts(ilb.servedBy(5))).containsEntry("gpu", 5L);
    }

    @Test
    void spillsToTheNextTierWhenTheFirstIsDown() {
        SimulatedBackend gpu = servers.fastBackend();
        SimulatedBackend cpu = servers.fastBackend();
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("gpu", gpu, "tier: 0"),
                backend("cpu", cpu, "tier: 1")));
        assertThat(counts(ilb.servedBy(2))).containsEntry("gpu", 2L);

        gpu.crash();

        // the first request may find gpu's pooled connection reset and be retried; none fails
        assertThat(counts(ilb.servedBy(10))).containsEntry("cpu", 10L);
        assertThat(ilb.backend("gpu").isDown()).isTrue();
    }
}
