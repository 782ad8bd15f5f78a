package ilb.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.lang.management.ManagementFactory;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import javax.management.ObjectName;

import ilb.Appliance;
import ilb.PoolRoute;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.Test;

/**
 * A pool that writes no capacity, on a vLLM-like server that runs 3 sequences at once and publishes its queue: under
 * more load than its batch, ilb learns a limit of exactly 3 from its metrics, and says so in its gauge and in JMX.
 */
class LearnedCapacityLoadTest {

    private static final int CLIENTS = 8;
    private static final int MOST_REQUESTS_EACH = 400;

    @Test
    void theLearnedLimitSettlesAtTheServersBatchSize() throws Exception {
        int managementPort = Appliance.freePort();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        try (Servers servers = new Servers()) {
            SimulatedBackend server = servers.backend(new SimulatorOptions().models("m").maxNumSeqs(3).ttftMs(20)
                    .itlMs(5));
            Appliance ilb = servers.ilb(PoolRoute.pool("m", "least-request",
                    PoolRoute.backend("learner", server, "metricsInterval: 50ms")),
                    "camel.management.enabled=true", "camel.management.host=127.0.0.1",
                    "camel.management.port=" + managementPort);
            ObjectName jmx = new ObjectName("ilb:type=Backend,name=learner");
            assertThat(ManagementFactory.getPlatformMBeanServer().getAttribute(jmx, "CapacitySource"))
                    .isEqualTo("learned");
            assertThat(learnedCapacity(managementPort)).isEqualTo(4);

            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger sent = new AtomicInteger();
            AtomicInteger answered = new AtomicInteger();
            List<Integer> failures = new ArrayList<>();
            List<CompletableFuture<Void>> loops = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                loops.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < MOST_REQUESTS_EACH && !stop.get(); i++) {
                        sent.incrementAndGet();
                        HttpResponse<String> response = ilb.send(ilb.request("/v1/chat/completions")
                                .header("content-type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(Appliance.chat("m", 20))).build());
                        answered.incrementAndGet();
                        if (response.statusCode() != 200) {
                            synchronized (failures) {
                                failures.add(response.statusCode());
                            }
                        }
                    }
                }, clients));
            }

            // 8 clients, 3 places at the server: requests wait there, and its metrics say so
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                    .until(() -> learnedCapacity(managementPort) == 3);
            assertThat(ManagementFactory.getPlatformMBeanServer().getAttribute(jmx, "Capacity")).isEqualTo(3);
            stop.set(true);
            CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);

            assertThat(answered).hasValue(sent.get());
            assertThat(failures).isEmpty();
            assertThat(server.inferenceRequests()).isEqualTo(sent.get());
        } finally {
            clients.shutdownNow();
        }
    }

    /** {@code ilb_backend_capacity} of the backend with source {@code learned}; 0 if there is no such series. */
    private static double learnedCapacity(int managementPort) throws Exception {
        return Scrape.of(managementPort).sum("ilb_backend_capacity", "backend=learner", "source=learned");
    }
}
