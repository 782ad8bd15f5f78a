package ilb.routing;

import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import ilb.Appliance;
import ilb.Servers;
import ilb.Traffic;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static ilb.Appliance.counts;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Editing a route file changes routing within seconds, with no restart and no request lost. */
class HotReloadTest {

    private final Servers servers = new Servers();

    @AfterEach
    void stop() throws Exception {
        servers.close();
    }

    @Test
    void replacingTheBackendsOfAPoolDuringTrafficLosesNoRequest() throws Exception {
        // 50 ms per request: some are always in flight when the old route is replaced
        SimulatedBackend before = servers.backend(new SimulatorOptions().models("m").ttftMs(50).itlMs(1));
        SimulatedBackend after = servers.backend(new SimulatorOptions().models("m").ttftMs(50).itlMs(1));
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("before", before)),
                "camel.main.routesReloadEnabled=true");

        try (Traffic traffic = new Traffic(ilb, 8)) {
            await().until(() -> traffic.seen() >= 40);

            // what an operator does: edit the file and save it
            Files.writeString(ilb.poolRouteFile(), pool("m", "least-request", backend("after", after)));

            await().atMost(30, TimeUnit.SECONDS).until(() -> traffic.served("after") >= 40);
            List<String> all = traffic.stop();
            assertThat(all).allMatch(outcome -> outcome.startsWith("200 "), "every request succeeded");
            assertThat(counts(all)).containsOnlyKeys("200 before", "200 after");
        }
    }

    @Test
    void aRequestWaitingInThePoolsQueueWhenItsRouteReloadsIsServedByTheNewRoute() throws Exception {
        // one place, taken by the first request, which the server never answers: the second waits in the queue
        SimulatedBackend before = servers.backend(new SimulatorOptions().models("m").ttftMs(1).itlMs(1));
        before.faults().hangRate(1.0);
        SimulatedBackend after = servers.backend(new SimulatorOptions().models("m").ttftMs(1).itlMs(1));
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("before", before, "capacity: 1")),
                "camel.main.routesReloadEnabled=true");
        CompletableFuture<String> inFlight = CompletableFuture.supplyAsync(() -> Traffic.outcome(ilb));
        await().until(() -> before.inferenceRequests() == 1);
        CompletableFuture<String> queued = CompletableFuture.supplyAsync(() -> Traffic.outcome(ilb));
        await().until(() -> ilb.balancer("pool-m").queued() == 1);

        Files.writeString(ilb.poolRouteFile(), pool("m", "round-robin", backend("after", after, "capacity: 1")));

        // the old pool cannot send it anywhere once stopped: the model's catalog sends it to the new route
        assertThat(queued.get(30, TimeUnit.SECONDS)).isEqualTo("200 after");
        // the one in flight stays with the old route, and is answered there when its server dies (no backend left
        // there to try: the old route's error, not a hang)
        before.crash();
        assertThat(inFlight.get(30, TimeUnit.SECONDS)).matches("50[23] before \\{\"error\".*");
        // once, or twice if the client sent it again on another pooled connection the crash had not reset yet
        assertThat(before.inferenceRequests()).isBetween(1L, 2L);
        assertThat(after.inferenceRequests()).isEqualTo(1);
    }
}
