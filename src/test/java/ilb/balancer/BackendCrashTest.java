package ilb.balancer;

import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import ilb.Appliance;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import ilb.simulator.SimulatorOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static ilb.Appliance.chat;
import static ilb.Appliance.counts;
import static ilb.Appliance.servedBy;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;

/** One of two backends dies like kill -9 in the middle of a run: the clients see no error at all. */
class BackendCrashTest {

    private final Servers servers = new Servers();

    @AfterEach
    void stop() throws Exception {
        servers.close();
    }

    @Test
    void aBackendCrashDuringAThousandRequestsCostsTheClientsNothing() throws Exception {
        SimulatedBackend survivor = servers.backend(new SimulatorOptions().models("m").ttftMs(2).itlMs(1));
        SimulatedBackend victim = servers.backend(new SimulatorOptions().models("m").ttftMs(2).itlMs(1));
        Appliance ilb = servers.ilb(pool("m", "least-request", backend("survivor", survivor),
                backend("victim", victim)));

        int total = 1000;
        AtomicInteger next = new AtomicInteger();
        AtomicInteger answered = new AtomicInteger();
        Queue<String> outcomes = new ConcurrentLinkedQueue<>();
        ExecutorService clients = Executors.newFixedThreadPool(16);
        for (int c = 0; c < 16; c++) {
            clients.submit(() -> {
                while (next.getAndIncrement() < total) {
                    HttpResponse<String> response = ilb.post("/v1/chat/completions", chat("m", 4));
                    outcomes.add(response.statusCode() + " " + servedBy(response));
                    // one counter, so that exactly one client crashes it (two could add between size() checks)
                    if (answered.incrementAndGet() == 300) {
                        // connections reset mid-request, the port refuses new ones
                        victim.crash();
                    }
                }
            });
        }
        clients.shutdown();
        assertThat(clients.awaitTermination(2, TimeUnit.MINUTES)).isTrue();

        Map<String, Long> counts = counts(outcomes.stream().toList());
        assertThat(outcomes).hasSize(total);
        assertThat(counts.keySet()).allMatch(outcome -> outcome.startsWith("200 "));
        assertThat(counts.get("200 victim")).isPositive();
        assertThat(ilb.backend("victim").isDown()).isTrue();
    }
}
