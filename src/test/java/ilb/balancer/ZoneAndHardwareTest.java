package ilb.balancer;

import ilb.Appliance;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static ilb.Appliance.counts;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ZoneAndHardwareTest {

    private final Servers servers = new Servers();

    @AfterEach
    void stop() throws Exception {
        servers.close();
    }

    @Test
    void aTierPrefersBackendsInIlbsZoneAndFailsOverToOthers() {
        SimulatedBackend near = servers.fastBackend();
        SimulatedBackend far = servers.fastBackend();
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("near", near, "zone: east"),
                backend("far", far, "zone: west")), "ilb.zone=east");

        assertThat(counts(ilb.servedBy(10))).containsEntry("near", 10L);

        near.crash();

        // the first request may find near's pooled connection reset and be retried on far; none fails
        assertThat(counts(ilb.servedBy(10))).containsEntry("far", 10L);
    }

    @Test
    void withoutAZoneEveryBackendIsUsed() {
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("near", servers.fastBackend(), "zone: east"),
                backend("far", servers.fastBackend(), "zone: west")));

        assertThat(counts(ilb.servedBy(10))).containsEntry("near", 5L).containsEntry("far", 5L);
    }

    @Test
    void aBackendWithoutAWeightGetsItsHardwaresWeight() {
        Appliance ilb = servers.ilb(pool("m", "weighted-round-robin",
                backend("big", servers.fastBackend(), "hardware: h100"),
                backend("small", servers.fastBackend(), "hardware: l4"),
                backend("set", servers.fastBackend(), "hardware: h100", "weight: 1")),
                "camel.component.backend.hardwareWeights=h100:6,l4:3");

        assertThat(counts(ilb.servedBy(20))).containsEntry("big", 12L).containsEntry("small", 6L)
                .containsEntry("set", 2L);
    }

    @Test
    void aMistypedPoolOptionStopsIlbWithAClearMessage() {
        assertThatThrownBy(() -> servers.ilb(pool("m", "scored?qeue=2", backend("a", servers.fastBackend()))))
                .rootCause().hasMessageContaining("unknown option(s) [qeue]");
    }
}
