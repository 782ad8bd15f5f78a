package ilb.balancer;

import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import ilb.Appliance;
import ilb.Servers;
import ilb.simulator.SimulatedBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static ilb.Appliance.chat;
import static ilb.Appliance.servedBy;
import static ilb.PoolRoute.backend;
import static ilb.PoolRoute.pool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** When every backend is merely full, a request waits for a free place rather than failing, for a while. */
class WaitQueueTest {

    private final Servers servers = new Servers();

    @AfterEach
    void stop() throws Exception {
        servers.close();
    }

    private static CompletableFuture<HttpResponse<String>> sendAsync(Appliance ilb) {
        return ilb.http().sendAsync(ilb.request("/v1/chat/completions")
                .POST(HttpRequest.BodyPublishers.ofString(chat("m", 2))).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aRequestWaitsWhileTheBackendIsFullAndGoesWhenAPlaceFrees() throws Exception {
        SimulatedBackend only = servers.fastBackend();
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("only", only, "capacity: 1")));
        InputStream holder = ilb.openStream("m", 100_000).body();

        CompletableFuture<HttpResponse<String>> waiting = sendAsync(ilb);
        // it is in ilb, not at the backend
        await().until(() -> ilb.context().getInflightRepository().size("pool-m") == 1);
        assertThat(only.inferenceRequests()).isEqualTo(1);

        holder.close();

        assertThat(waiting.get().statusCode()).isEqualTo(200);
        assertThat(servedBy(waiting.get())).isEqualTo("only");
    }

    @Test
    void moreRequestsWaitingThanATimerQueueOfCamelsDefaultHoldAreEachAnswered() throws Exception {
        SimulatedBackend only = servers.fastBackend();
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("only", only, "capacity: 1")),
                "ilb.balancer.queueSize=2000");
        int waiting = 1200;
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        try (InputStream holder = ilb.openStream("m", 100_000).body()) {
            for (int i = 0; i < waiting; i++) {
                responses.add(sendAsync(ilb));
            }
            // each waits with a deadline of its own on ilb's timer: more than Camel's default pool would queue
            await().atMost(Duration.ofMinutes(1)).until(() -> ilb.balancer("pool-m").queued() == waiting);
        }
        // the place freed, they all go through it, one after another
        for (CompletableFuture<HttpResponse<String>> response : responses) {
            assertThat(response.get(1, TimeUnit.MINUTES).statusCode()).isEqualTo(200);
        }
        assertThat(only.inferenceRequests()).isEqualTo(waiting + 1);
    }

    @Test
    void aRequestThatWaitsTooLongIs503() throws Exception {
        SimulatedBackend only = servers.fastBackend();
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("only", only, "capacity: 1")),
                "ilb.balancer.queueTimeout.standard=200ms");
        try (InputStream holder = ilb.openStream("m", 100_000).body()) {
            HttpResponse<String> response = ilb.post("/v1/chat/completions", chat("m", 2));

            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.body()).contains("\"code\":\"overloaded\"").contains("stayed busy");
            assertThat(response.headers().firstValue("retry-after")).isPresent();
        }
    }

    @Test
    void aFullQueueTurnsTheLongestWaitingAwayAtOnce() throws Exception {
        SimulatedBackend only = servers.fastBackend();
        Appliance ilb = servers.ilb(pool("m", "round-robin", backend("only", only, "capacity: 1")),
                "ilb.balancer.queueSize=1");
        try (InputStream holder = ilb.openStream("m", 100_000).body()) {
            CompletableFuture<HttpResponse<String>> first = sendAsync(ilb);
            await().until(() -> ilb.balancer("pool-m").queued() == 1);

            // one tenant, one class: its longest waiting makes room, as the nearest to its deadline
            CompletableFuture<HttpResponse<String>> second = sendAsync(ilb);

            HttpResponse<String> turnedAway = first.get();
            assertThat(turnedAway.statusCode()).isEqualTo(503);
            assertThat(turnedAway.body()).contains("\"code\":\"overloaded\"").contains("wait queue is full (1 waiting)");
            assertThat(turnedAway.headers().firstValue("retry-after")).isPresent();
            assertThat(ilb.balancer("pool-m").queued()).isEqualTo(1);
            holder.close();
            assertThat(second.get().statusCode()).isEqualTo(200);
        }
    }
}
