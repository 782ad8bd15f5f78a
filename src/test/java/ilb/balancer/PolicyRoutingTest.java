package ilb.balancer;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

import ilb.Appliance;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static ilb.Appliance.counts;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Each selection policy, through the appliance, against real servers on loopback. */
class PolicyRoutingTest {

    private final Servers servers = new Servers();

    private SimulatedBackend server(SimulatorOptions options) {
        return servers.backend(options.models("m"));
    }

    private Appliance ilb(String routes) {
        return servers.ilb(routes);
    }

    @AfterEach
    void stop() throws Exception {
        servers.close();
    }


    @Test
    void roundRobinTakesEachBackendInTurn() {
        SimulatedBackend a = server(new SimulatorOptions().ttftMs(1).itlMs(1));
        SimulatedBackend b = server(new SimulatorOptions().ttftMs(1).itlMs(1));
        Appliance ilb = ilb(pool("m", "round-robin", backend("a", a), backend("b", b)));

        List<String> served = ilb.servedBy(10);

        assertThat(served).containsExactly("a", "b", "a", "b", "a", "b", "a", "b", "a", "b");
    }

    @Test
    void weightedRoundRobinFollowsTheWeights() {
        SimulatedBackend a = server(new SimulatorOptions().ttftMs(1).itlMs(1));
        SimulatedBackend b = server(new SimulatorOptions().ttftMs(1).itlMs(1));
        Appliance ilb = ilb(pool("m", "weighted-round-robin", backend("a", a, "weight: 3"), backend("b", b)));

        assertThat(counts(ilb.servedBy(40))).containsEntry("a", 30L).containsEntry("b", 10L);
    }

    @Test
    void leastRequestSendsToTheBackendWithFewerRequestsInFlight() throws Exception {
        SimulatedBackend a = servers.backend(new SimulatorOptions().models("m", "m-on-a").ttftMs(1).itlMs(1));
        SimulatedBackend b = server(new SimulatorOptions().ttftMs(1).itlMs(1));
        // model "m-on-a" is served by backend a alone: its requests load a (state is per backend, not per route)
        Appliance ilb = ilb(pool("m", "least-request", backend("a", a), backend("b", b))
                + pool("m-on-a", "least-request", backend("a", a)));
        List<InputStream> streams = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            streams.add(ilb.openStream("m-on-a", 100_000).body());
        }
        assertThat(ilb.backend("a").inFlight()).isEqualTo(2);


        // with two candidates, both are compared: the less loaded always wins
        assertThat(counts(ilb.servedBy(10))).containsEntry("b", 10L);

        for (InputStream stream : streams) {
            stream.close();
        }
        await().until(() -> ilb.backend("a").inFlight() == 0 && a.running() == 0);
    }

    @Test
    void peakEwmaAvoidsTheSlowBackend() {
        SimulatedBackend fast = server(new SimulatorOptions().ttftMs(2).itlMs(1));
        SimulatedBackend slow = server(new SimulatorOptions().ttftMs(150).itlMs(1));
        Appliance ilb = ilb(pool("m", "peak-ewma", backend("fast", fast), backend("slow", slow)));

        // the first two requests measure both (an idle, unmeasured backend is tried first)
        assertThat(ilb.servedBy(2)).containsExactlyInAnyOrder("fast", "slow");
        assertThat(counts(ilb.servedBy(20))).containsEntry("fast", 20L);
    }
}
